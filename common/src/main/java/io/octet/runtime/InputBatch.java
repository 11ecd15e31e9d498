package io.octet.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import io.octet.data.ElemType;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch of rows as ONNX Runtime input tensors, one per model input, each backed by one direct,
 * native-order buffer (zero-copy into the runtime; no per-element boxing).
 *
 * <p>All rows must share each input's shape; {@link io.octet.data.Batching} makes such batches.
 */
public final class InputBatch implements AutoCloseable {
  private final Map<String, OnnxTensor> tensors;
  private final List<Sample> rows;
  private boolean closed;

  private InputBatch(Map<String, OnnxTensor> tensors, List<Sample> rows) {
    this.tensors = tensors;
    this.rows = rows;
  }

  /**
   * Builds the tensors for a batch.
   *
   * @param rows rows with identical shapes per input
   * @return the batch; the caller must close it
   * @throws IllegalArgumentException if rows disagree on inputs, types or shapes
   */
  public static InputBatch of(List<Sample> rows) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("A batch needs at least one row");
    }
    OrtEnvironment env = OrtRuntime.env();
    Map<String, OnnxTensor> out = new LinkedHashMap<>();
    try {
      Sample first = rows.get(0);
      for (Map.Entry<String, TensorValue> e : first.inputs().entrySet()) {
        out.put(e.getKey(), tensor(env, e.getKey(), e.getValue(), rows));
      }
      return new InputBatch(out, List.copyOf(rows));
    } catch (OrtException | RuntimeException e) {
      out.values().forEach(OnnxTensor::close);
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("ONNX Runtime could not create an input tensor", e);
    }
  }

  private static OnnxTensor tensor(
      OrtEnvironment env, String input, TensorValue proto, List<Sample> rows) throws OrtException {
    long[] rowShape = proto.shape();
    int perRow = proto.size();
    ElemType type = proto.type();
    ByteBuffer buf =
        ByteBuffer.allocateDirect(perRow * rows.size() * type.bytes())
            .order(ByteOrder.nativeOrder());
    for (Sample s : rows) {
      TensorValue v = s.inputs().get(input);
      if (v == null) {
        throw new IllegalArgumentException(
            "Row '" + s.id() + "' has no value for input '" + input + "'");
      }
      if (v.type() != type || !Arrays.equals(v.shape(), rowShape)) {
        throw new IllegalArgumentException(
            "Row '"
                + s.id()
                + "' input '"
                + input
                + "' is "
                + v
                + " but the batch holds "
                + proto
                + "; batch rows by shape first");
      }
      put(buf, v);
    }
    buf.flip();
    long[] shape = new long[rowShape.length + 1];
    shape[0] = rows.size();
    System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
    return switch (type) {
      case FLOAT -> OnnxTensor.createTensor(env, buf.asFloatBuffer(), shape);
      case DOUBLE -> OnnxTensor.createTensor(env, buf.asDoubleBuffer(), shape);
      case INT64 -> OnnxTensor.createTensor(env, buf.asLongBuffer(), shape);
      case INT32 -> OnnxTensor.createTensor(env, buf.asIntBuffer(), shape);
      case INT8 -> OnnxTensor.createTensor(env, buf, shape, OnnxJavaType.INT8);
      case UINT8 -> OnnxTensor.createTensor(env, buf, shape, OnnxJavaType.UINT8);
      case BOOL -> OnnxTensor.createTensor(env, buf, shape, OnnxJavaType.BOOL);
    };
  }

  private static void put(ByteBuffer buf, TensorValue v) {
    switch (v.type()) {
      case FLOAT -> {
        buf.asFloatBuffer().put((float[]) v.data());
        buf.position(buf.position() + v.size() * 4);
      }
      case DOUBLE -> {
        buf.asDoubleBuffer().put((double[]) v.data());
        buf.position(buf.position() + v.size() * 8);
      }
      case INT64 -> {
        buf.asLongBuffer().put((long[]) v.data());
        buf.position(buf.position() + v.size() * 8);
      }
      case INT32 -> {
        buf.asIntBuffer().put((int[]) v.data());
        buf.position(buf.position() + v.size() * 4);
      }
      case INT8, UINT8, BOOL -> buf.put((byte[]) v.data());
    }
  }

  /**
   * Returns the tensors keyed by input name.
   *
   * @return the tensors (owned by this batch)
   */
  public Map<String, OnnxTensor> tensors() {
    checkOpen();
    return tensors;
  }

  /**
   * Returns the rows of this batch.
   *
   * @return the rows
   */
  public List<Sample> rows() {
    return rows;
  }

  /**
   * Returns the number of rows.
   *
   * @return the batch size
   */
  public int size() {
    return rows.size();
  }

  /**
   * Returns the tensors restricted to these input names.
   *
   * @param names the model's input names
   * @return a new map of the matching tensors
   */
  public Map<String, OnnxTensor> tensorsFor(java.util.Collection<String> names) {
    checkOpen();
    Map<String, OnnxTensor> m = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (String n : names) {
      OnnxTensor t = tensors.get(n);
      if (t == null) {
        missing.add(n);
      } else {
        m.put(n, t);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          "The batch has no value for model inputs " + missing + "; it has " + tensors.keySet());
    }
    return m;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("InputBatch is closed");
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      tensors.values().forEach(OnnxTensor::close);
    }
  }
}
