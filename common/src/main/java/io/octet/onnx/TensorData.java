package io.octet.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import io.octet.error.QuantErrors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

/**
 * Conversions between ONNX {@link TensorProto}s and Java arrays.
 *
 * <p>A tensor's values may sit in a typed repeated field, in {@code raw_data} (little-endian), or
 * in an external file; the readers here accept all three.
 */
public final class TensorData {
  private TensorData() {}

  /**
   * Number of elements a tensor with these dims holds.
   *
   * @param dims the dimensions
   * @return the product of the dims (1 for a scalar)
   */
  public static long elementCount(List<Long> dims) {
    long n = 1;
    for (long d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * Returns the tensor's bytes in little-endian raw layout, whatever field holds them.
   *
   * @param t the tensor
   * @param baseDir the model's directory, for external data (may be null if none)
   * @param modelName the model's name, for errors
   * @return the raw bytes
   */
  public static byte[] rawBytes(TensorProto t, Path baseDir, String modelName) {
    if (ExternalData.isExternal(t)) {
      return ExternalData.of(t, baseDir, modelName).read(modelName);
    }
    if (t.hasRawData()) {
      return t.getRawData().toByteArray();
    }
    int n = Math.toIntExact(elementCount(t.getDimsList()));
    ByteBuffer b;
    switch (DataType.forNumber(t.getDataType())) {
      case FLOAT -> {
        b = le(n * 4);
        for (int i = 0; i < t.getFloatDataCount(); i++) {
          b.putFloat(t.getFloatData(i));
        }
      }
      case DOUBLE -> {
        b = le(n * 8);
        for (int i = 0; i < t.getDoubleDataCount(); i++) {
          b.putDouble(t.getDoubleData(i));
        }
      }
      case INT64 -> {
        b = le(n * 8);
        for (int i = 0; i < t.getInt64DataCount(); i++) {
          b.putLong(t.getInt64Data(i));
        }
      }
      case INT32 -> {
        b = le(n * 4);
        for (int i = 0; i < t.getInt32DataCount(); i++) {
          b.putInt(t.getInt32Data(i));
        }
      }
      case INT8, UINT8, BOOL -> {
        b = le(n);
        for (int i = 0; i < t.getInt32DataCount(); i++) {
          b.put((byte) t.getInt32Data(i));
        }
      }
      case INT16, UINT16, FLOAT16, BFLOAT16 -> {
        b = le(n * 2);
        for (int i = 0; i < t.getInt32DataCount(); i++) {
          b.putShort((short) t.getInt32Data(i));
        }
      }
      default ->
          throw QuantErrors.unsupported(
              modelName,
              "tensor '" + t.getName() + "' has data type " + dataTypeName(t.getDataType()),
              "Octet reads float, double, integer, bool and half-precision tensors only.");
    }
    return b.array();
  }

  /**
   * Reads a tensor as float32 values (float, double and float16 tensors are converted).
   *
   * @param t the tensor
   * @param baseDir the model's directory, for external data (may be null if none)
   * @param modelName the model's name, for errors
   * @return the values in row-major order
   */
  public static float[] toFloats(TensorProto t, Path baseDir, String modelName) {
    int type = t.getDataType();
    if (type == DataType.FLOAT_VALUE && !t.hasRawData() && !ExternalData.isExternal(t)) {
      float[] out = new float[t.getFloatDataCount()];
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getFloatData(i);
      }
      return out;
    }
    ByteBuffer b = ByteBuffer.wrap(rawBytes(t, baseDir, modelName)).order(ByteOrder.LITTLE_ENDIAN);
    if (type == DataType.FLOAT_VALUE) {
      float[] out = new float[b.remaining() / 4];
      b.asFloatBuffer().get(out);
      return out;
    }
    if (type == DataType.DOUBLE_VALUE) {
      float[] out = new float[b.remaining() / 8];
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) b.getDouble();
      }
      return out;
    }
    if (type == DataType.FLOAT16_VALUE) {
      float[] out = new float[b.remaining() / 2];
      for (int i = 0; i < out.length; i++) {
        out[i] = Half.toFloat(b.getShort());
      }
      return out;
    }
    throw QuantErrors.unsupported(
        modelName,
        "tensor '" + t.getName() + "' is " + dataTypeName(type) + ", expected a float tensor",
        "Only float tensors can be read as floats.");
  }

  /**
   * Reads an integer tensor (int8/16/32/64, uint8/16, bool) as longs.
   *
   * @param t the tensor
   * @param baseDir the model's directory, for external data (may be null if none)
   * @param modelName the model's name, for errors
   * @return the values in row-major order
   */
  public static long[] toLongs(TensorProto t, Path baseDir, String modelName) {
    int type = t.getDataType();
    if (type == DataType.INT64_VALUE && !t.hasRawData() && !ExternalData.isExternal(t)) {
      long[] out = new long[t.getInt64DataCount()];
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getInt64Data(i);
      }
      return out;
    }
    ByteBuffer b = ByteBuffer.wrap(rawBytes(t, baseDir, modelName)).order(ByteOrder.LITTLE_ENDIAN);
    int n;
    long[] out;
    switch (DataType.forNumber(type)) {
      case INT64 -> {
        out = new long[b.remaining() / 8];
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getLong();
        }
      }
      case INT32 -> {
        out = new long[b.remaining() / 4];
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getInt();
        }
      }
      case INT16 -> {
        out = new long[b.remaining() / 2];
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getShort();
        }
      }
      case UINT16 -> {
        out = new long[b.remaining() / 2];
        for (int i = 0; i < out.length; i++) {
          out[i] = Short.toUnsignedInt(b.getShort());
        }
      }
      case INT8 -> {
        n = b.remaining();
        out = new long[n];
        for (int i = 0; i < n; i++) {
          out[i] = b.get();
        }
      }
      case UINT8, BOOL -> {
        n = b.remaining();
        out = new long[n];
        for (int i = 0; i < n; i++) {
          out[i] = Byte.toUnsignedInt(b.get());
        }
      }
      default ->
          throw QuantErrors.unsupported(
              modelName,
              "tensor '" + t.getName() + "' is " + dataTypeName(type) + ", expected an integer",
              "Only integer tensors can be read as integers.");
    }
    return out;
  }

  /**
   * Builds a float32 tensor stored as raw little-endian bytes.
   *
   * @param name the tensor's name
   * @param dims its dimensions
   * @param values row-major values; length must match the dims
   * @return the tensor
   */
  public static TensorProto ofFloats(String name, long[] dims, float[] values) {
    checkCount(name, dims, values.length);
    ByteBuffer b = le(values.length * 4);
    b.asFloatBuffer().put(values);
    return raw(name, DataType.FLOAT, dims, b.array());
  }

  /**
   * Builds a float16 tensor from float32 values (round to nearest even).
   *
   * @param name the tensor's name
   * @param dims its dimensions
   * @param values row-major float32 values
   * @return the tensor
   */
  public static TensorProto ofFloat16(String name, long[] dims, float[] values) {
    checkCount(name, dims, values.length);
    ByteBuffer b = le(values.length * 2);
    for (float v : values) {
      b.putShort(Half.fromFloat(v));
    }
    return raw(name, DataType.FLOAT16, dims, b.array());
  }

  /**
   * Builds an int8 or uint8 tensor from bytes (uint8 values are stored as their low 8 bits).
   *
   * @param name the tensor's name
   * @param type INT8 or UINT8
   * @param dims its dimensions
   * @param values the bytes
   * @return the tensor
   */
  public static TensorProto ofBytes(String name, DataType type, long[] dims, byte[] values) {
    checkCount(name, dims, values.length);
    return raw(name, type, dims, values.clone());
  }

  /**
   * Builds a packed 4-bit or other opaque byte tensor without an element-count check.
   *
   * @param name the tensor's name
   * @param type the element type
   * @param dims its dimensions
   * @param packed the bytes as they must appear in raw_data
   * @return the tensor
   */
  public static TensorProto ofPacked(String name, DataType type, long[] dims, byte[] packed) {
    return raw(name, type, dims, packed.clone());
  }

  /**
   * Builds an int32 tensor.
   *
   * @param name the tensor's name
   * @param dims its dimensions
   * @param values row-major values
   * @return the tensor
   */
  public static TensorProto ofInts(String name, long[] dims, int[] values) {
    checkCount(name, dims, values.length);
    ByteBuffer b = le(values.length * 4);
    b.asIntBuffer().put(values);
    return raw(name, DataType.INT32, dims, b.array());
  }

  /**
   * Builds an int64 tensor.
   *
   * @param name the tensor's name
   * @param dims its dimensions
   * @param values row-major values
   * @return the tensor
   */
  public static TensorProto ofLongs(String name, long[] dims, long[] values) {
    checkCount(name, dims, values.length);
    ByteBuffer b = le(values.length * 8);
    b.asLongBuffer().put(values);
    return raw(name, DataType.INT64, dims, b.array());
  }

  /**
   * Returns the ONNX name of a data type number, e.g. "FLOAT" for 1.
   *
   * @param type the TensorProto.DataType number
   * @return its name, or "type N" when unknown
   */
  public static String dataTypeName(int type) {
    DataType dt = DataType.forNumber(type);
    return dt == null ? "type " + type : dt.name();
  }

  private static TensorProto raw(String name, DataType type, long[] dims, byte[] bytes) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
    for (long d : dims) {
      b.addDims(d);
    }
    return b.setRawData(ByteString.copyFrom(bytes)).build();
  }

  private static void checkCount(String name, long[] dims, int n) {
    long expected = 1;
    for (long d : dims) {
      expected *= d;
    }
    if (expected != n) {
      throw new IllegalArgumentException(
          "Tensor '" + name + "' has " + n + " values but its dims hold " + expected);
    }
  }

  private static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }
}
