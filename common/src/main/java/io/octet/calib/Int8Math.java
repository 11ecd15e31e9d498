package io.octet.calib;

import io.octet.util.Checks;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Quantization arithmetic with ONNX semantics: pure static functions over scalars, arrays and
 * buffers.
 *
 * <p>{@code quantize} is ONNX {@code QuantizeLinear}: {@code saturate(roundHalfEven(x / scale) +
 * zeroPoint)}, with the division done in float32 as the ONNX reference does, and saturation to the
 * type's full range. {@code dequantize} is {@code DequantizeLinear}: {@code (q - zeroPoint) *
 * scale} in float32. Quantized tensors are stored one byte per value, exactly as the raw data of an
 * ONNX {@code INT8}/{@code UINT8} tensor (two's complement for int8, unsigned for uint8).
 */
public final class Int8Math {
  private Int8Math() {}

  /**
   * Quantizes one value.
   *
   * <p>NaN maps to the zero point (real 0): ONNX leaves NaN unspecified, and 0 is the value that
   * disturbs a downstream sum least. Infinities saturate.
   *
   * @param x the real value
   * @param p the quantization parameters
   * @return the integer in [{@code qmin}, {@code qmax}] of {@code p.type()}
   */
  public static int quantize(float x, QuantParams p) {
    return quantize(x, p.scale(), p.zeroPoint(), p.type().qmin(), p.type().qmax());
  }

  /**
   * Dequantizes one value.
   *
   * @param q the integer, normally in the type's range
   * @param p the quantization parameters
   * @return {@code (q - zeroPoint) * scale}, computed in float32
   */
  public static float dequantize(int q, QuantParams p) {
    return (q - p.zeroPoint()) * p.scale();
  }

  /**
   * Quantizes a range of an array into bytes.
   *
   * @param src the real values
   * @param srcOffset index of the first value
   * @param dst receives one byte per value (two's complement for int8, unsigned for uint8)
   * @param dstOffset index of the first byte to write
   * @param length how many values to quantize
   * @param p the quantization parameters
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  public static void quantize(
      float[] src, int srcOffset, byte[] dst, int dstOffset, int length, QuantParams p) {
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    float scale = p.scale();
    int zp = p.zeroPoint();
    int qmin = p.type().qmin();
    int qmax = p.type().qmax();
    for (int i = 0; i < length; i++) {
      dst[dstOffset + i] = (byte) quantize(src[srcOffset + i], scale, zp, qmin, qmax);
    }
  }

  /**
   * Quantizes a whole array.
   *
   * @param src the real values
   * @param p the quantization parameters
   * @return one byte per value
   */
  public static byte[] quantize(float[] src, QuantParams p) {
    byte[] out = new byte[src.length];
    quantize(src, 0, out, 0, src.length, p);
    return out;
  }

  /**
   * Quantizes the remaining values of a buffer. The buffer's position is not moved.
   *
   * @param src the real values from {@code position()} to {@code limit()}
   * @param dst receives {@code src.remaining()} bytes
   * @param dstOffset index of the first byte to write
   * @param p the quantization parameters
   * @throws IndexOutOfBoundsException if {@code dst} is too short
   */
  public static void quantize(FloatBuffer src, byte[] dst, int dstOffset, QuantParams p) {
    int position = src.position();
    int length = src.remaining();
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    float scale = p.scale();
    int zp = p.zeroPoint();
    int qmin = p.type().qmin();
    int qmax = p.type().qmax();
    for (int i = 0; i < length; i++) {
      dst[dstOffset + i] = (byte) quantize(src.get(position + i), scale, zp, qmin, qmax);
    }
  }

  /**
   * Dequantizes a range of bytes into an array.
   *
   * @param src quantized bytes of {@code p.type()}
   * @param srcOffset index of the first byte
   * @param dst receives the real values
   * @param dstOffset index of the first value to write
   * @param length how many values
   * @param p the quantization parameters
   * @throws IndexOutOfBoundsException if a range is outside its array
   */
  public static void dequantize(
      byte[] src, int srcOffset, float[] dst, int dstOffset, int length, QuantParams p) {
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    QuantType type = p.type();
    for (int i = 0; i < length; i++) {
      dst[dstOffset + i] = dequantize(type.decode(src[srcOffset + i]), p);
    }
  }

  /**
   * Dequantizes a whole byte array.
   *
   * @param src quantized bytes of {@code p.type()}
   * @param p the quantization parameters
   * @return one float per byte
   */
  public static float[] dequantize(byte[] src, QuantParams p) {
    float[] out = new float[src.length];
    dequantize(src, 0, out, 0, src.length, p);
    return out;
  }

  /**
   * Quantizes a weight tensor with one scale and zero point from its exact min and max.
   *
   * @param w the weights, any shape, row-major; all finite
   * @param type the integer type
   * @param symmetric whether to quantize symmetrically around 0
   * @return the quantized bytes and their parameters
   * @throws IllegalArgumentException if a weight is NaN or infinite
   */
  public static PerTensorWeights quantizeWeightsPerTensor(
      float[] w, QuantType type, boolean symmetric) {
    Checks.checkNotNull(w, "w");
    float lo = 0;
    float hi = 0;
    for (int i = 0; i < w.length; i++) {
      checkFinite(w[i], "Weight", i);
      lo = Math.min(lo, w[i]);
      hi = Math.max(hi, w[i]);
    }
    QuantParams p = QuantParams.fromRange(lo, hi, type, symmetric);
    return new PerTensorWeights(quantize(w, p), p);
  }

  /**
   * Quantizes a weight tensor symmetrically with one scale per channel, as ONNX Runtime does for
   * Conv (axis 0) and MatMul/Gemm (the output axis).
   *
   * <p>Channel {@code c}'s scale is {@code max|w_c| / 127} for int8 (values in [-127, 127], zero
   * point 0) or {@code max|w_c| / 127.5} for uint8 (zero point 128), computed in double and rounded
   * to float32. An all-zero channel gets scale 1.0 (any positive scale represents it exactly, and
   * 1.0 keeps the bias scale {@code s_in * s_w} well away from underflow). With uint8 the largest
   * positive magnitude sits exactly on a rounding tie (127.5 steps) and saturates at 255, half a
   * step short, as in ONNX Runtime.
   *
   * @param w the weights, row-major; all finite
   * @param shape the weight's dimensions; their product must equal {@code w.length}
   * @param axis the channel axis; negative values count from the end, as in ONNX
   * @param type the integer type
   * @return the quantized bytes with per-channel scales and zero points
   * @throws IllegalArgumentException if the shape does not match, the axis is out of range, or a
   *     weight is NaN or infinite
   */
  public static PerChannelWeights quantizeWeightsPerChannel(
      float[] w, long[] shape, int axis, QuantType type) {
    Checks.checkNotNull(w, "w");
    Checks.checkNotNull(shape, "shape");
    Checks.checkNotNull(type, "type");
    int rank = shape.length;
    Checks.checkArgument(
        axis >= -rank && axis < rank, "Axis %s is out of range for rank %s", axis, rank);
    int ax = axis < 0 ? axis + rank : axis;
    long count = elementCount(shape);
    Checks.checkArgument(
        count == w.length,
        "Shape %s holds %s values but the weight has %s",
        Arrays.toString(shape),
        count,
        w.length);
    int channels = Math.toIntExact(shape[ax]);
    int inner = Math.toIntExact(innerSize(shape, ax));
    float[] absMax = new float[channels];
    for (int i = 0; i < w.length; i++) {
      checkFinite(w[i], "Weight", i);
      int c = (i / inner) % channels;
      absMax[c] = Math.max(absMax[c], Math.abs(w[i]));
    }
    float[] scales = new float[channels];
    int[] zeroPoints = new int[channels];
    QuantParams[] params = new QuantParams[channels];
    for (int c = 0; c < channels; c++) {
      params[c] = QuantParams.fromRange(-absMax[c], absMax[c], type, true);
      scales[c] = params[c].scale();
      zeroPoints[c] = params[c].zeroPoint();
    }
    byte[] data = new byte[w.length];
    for (int i = 0; i < w.length; i++) {
      data[i] = (byte) quantize(w[i], params[(i / inner) % channels]);
    }
    return new PerChannelWeights(data, shape, ax, scales, zeroPoints, type);
  }

  /**
   * Returns the int32 bias scales {@code inputScale * weightScale_c}, computed in float32 as ONNX
   * Runtime does, so that the bias lines up with the integer accumulator of the int8 product.
   *
   * @param inputScale the scale of the layer's input activation, finite and > 0
   * @param weightScales one scale (per-tensor weights) or one per output channel, finite and > 0
   * @return one bias scale per weight scale
   * @throws IllegalArgumentException if a scale is not finite and positive, or a product underflows
   *     to 0 in float32
   */
  public static float[] biasScales(float inputScale, float[] weightScales) {
    Checks.checkNotNull(weightScales, "weightScales");
    Checks.checkArgument(
        Float.isFinite(inputScale) && inputScale > 0,
        "Input scale must be finite and > 0, got: %s",
        inputScale);
    float[] out = new float[weightScales.length];
    for (int c = 0; c < weightScales.length; c++) {
      float ws = weightScales[c];
      Checks.checkArgument(
          Float.isFinite(ws) && ws > 0,
          "Weight scale of channel %s must be finite and > 0, got: %s",
          c,
          ws);
      out[c] = inputScale * ws;
      Checks.checkArgument(
          out[c] > 0,
          "Bias scale of channel %s underflows float32: input scale %s times weight scale %s",
          c,
          inputScale,
          ws);
    }
    return out;
  }

  /**
   * Quantizes a bias to int32 with scale {@code inputScale * weightScale_c} and zero point 0.
   *
   * <p>{@code q_c = roundHalfEven(bias_c / scale_c)}, divided in double, then saturated to the
   * int32 range; saturation only happens for a bias more than 2^31 steps from 0, which means the
   * scales are far too small for the layer, and is preferable to the silent wrap-around of a plain
   * cast.
   *
   * @param bias the float32 bias, one value per output channel; all finite
   * @param inputScale the scale of the layer's input activation, finite and > 0
   * @param weightScales one scale (per-tensor weights) or one per bias element
   * @return the int32 bias, one value per element
   * @throws IllegalArgumentException if the lengths do not match, a scale is invalid, or a bias
   *     value is not finite
   */
  public static int[] quantizeBias(float[] bias, float inputScale, float[] weightScales) {
    Checks.checkNotNull(bias, "bias");
    Checks.checkNotNull(weightScales, "weightScales");
    Checks.checkArgument(
        weightScales.length == 1 || weightScales.length == bias.length,
        "Need one weight scale or one per bias element (%s), got: %s",
        bias.length,
        weightScales.length);
    float[] scales = biasScales(inputScale, weightScales);
    int[] out = new int[bias.length];
    for (int c = 0; c < bias.length; c++) {
      checkFinite(bias[c], "Bias", c);
      double q = Math.rint(bias[c] / (double) scales[scales.length == 1 ? 0 : c]);
      out[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q));
    }
    return out;
  }

  /**
   * Quantizes a MatMul weight {@code W[K, N]} to 4 bits in blocks of {@code blockSize} along K, in
   * ONNX Runtime's {@code MatMulNBits} layout (see {@link Int4Blocks}), for weight-only mode.
   *
   * <p>Symmetric: per block {@code scale = max|w| / 7}, codes {@code round(w / scale) + 8} in [1,
   * 15], zero point 8 (code 0, i.e. -8, is left unused so that the grid is symmetric, as int8's
   * -128 is). Asymmetric: the block's [min, max] widened to contain 0, {@code scale = (max - min) /
   * 15}, zero point {@code round(-min / scale)} in [0, 15]. Either way every element reconstructs
   * within {@code scale / 2}. An all-zero block gets scale 1.0 and zero point 8. Scales are
   * computed in double and stored as float32; codes are computed from the stored scale.
   *
   * @param w the weight, row-major {@code [K, N]}; all finite
   * @param rows K, the input (reduction) dimension
   * @param cols N, the output dimension
   * @param blockSize the block length along K: a power of two, at least 16
   * @param symmetric whether to quantize each block symmetrically
   * @return the packed codes, scales and zero points
   * @throws IllegalArgumentException if the sizes do not match or a weight is not finite
   */
  public static Int4Blocks quantizeInt4Blockwise(
      float[] w, int rows, int cols, int blockSize, boolean symmetric) {
    Checks.checkNotNull(w, "w");
    Checks.checkArgument(
        rows > 0 && cols > 0 && (long) rows * cols == w.length,
        "Weight of %s values cannot be a [%s, %s] matrix",
        w.length,
        rows,
        cols);
    Checks.checkArgument(
        blockSize >= 16 && Integer.bitCount(blockSize) == 1,
        "Block size must be a power of two >= 16, got: %s",
        blockSize);
    int blocks = (rows + blockSize - 1) / blockSize;
    int blob = blockSize / 2;
    int zpBytesPerColumn = (blocks + 1) / 2;
    byte[] packed = new byte[Math.multiplyExact(Math.multiplyExact(cols, blocks), blob)];
    float[] scales = new float[cols * blocks];
    byte[] zeroPoints = new byte[cols * zpBytesPerColumn];
    for (int n = 0; n < cols; n++) {
      for (int b = 0; b < blocks; b++) {
        int k0 = b * blockSize;
        int k1 = Math.min(rows, k0 + blockSize);
        float lo = 0;
        float hi = 0;
        for (int k = k0; k < k1; k++) {
          float v = w[k * cols + n];
          checkFinite(v, "Weight", k * cols + n);
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        double scale =
            symmetric ? Math.max(-(double) lo, hi) / 7.0 : ((double) hi - (double) lo) / 15.0;
        float s = (float) scale;
        int zp;
        if (!(s >= Float.MIN_NORMAL)) {
          s = 1.0f;
          zp = Int4Blocks.DEFAULT_ZERO_POINT;
        } else if (symmetric) {
          zp = Int4Blocks.DEFAULT_ZERO_POINT;
        } else {
          zp = (int) Math.max(0, Math.min(15, Math.rint(-lo / s)));
        }
        scales[n * blocks + b] = s;
        int zpAt = n * zpBytesPerColumn + b / 2;
        zeroPoints[zpAt] = (byte) (zeroPoints[zpAt] | zp << ((b & 1) * 4));
        int blockStart = (n * blocks + b) * blob;
        for (int i = 0; i < blockSize; i++) {
          int k = k0 + i;
          // Padding past K decodes to exactly 0.
          int code = k < rows ? quantize(w[k * cols + n], s, zp, 0, 15) : zp;
          int at = blockStart + i / 2;
          packed[at] = (byte) (packed[at] | code << ((i & 1) * 4));
        }
      }
    }
    return new Int4Blocks(rows, cols, blockSize, symmetric, packed, scales, zeroPoints);
  }

  static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      Checks.checkArgument(d >= 0, "Dimensions must be non-negative, got: %s", d);
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Returns the product of the dimensions after {@code axis}: the stride of one channel step. */
  static long innerSize(long[] shape, int axis) {
    long n = 1;
    for (int i = axis + 1; i < shape.length; i++) {
      n = Math.multiplyExact(n, shape[i]);
    }
    return n;
  }

  private static int quantize(float x, float scale, int zeroPoint, int qmin, int qmax) {
    float r = x / scale;
    if (r != r) {
      return zeroPoint;
    }
    double q = Math.rint(r) + zeroPoint;
    return (int) Math.max(qmin, Math.min(qmax, q));
  }

  private static void checkFinite(float v, String what, int index) {
    Checks.checkArgument(
        Float.isFinite(v), "%s value at index %s is %s; it must be finite", what, index, v);
  }
}
