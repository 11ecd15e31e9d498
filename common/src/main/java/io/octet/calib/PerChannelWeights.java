package io.octet.calib;

import io.octet.util.Checks;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A weight tensor quantized symmetrically with one scale per channel along {@code axis}, as ONNX
 * {@code DequantizeLinear} with a 1-D scale expects.
 *
 * @param data the quantized values in the tensor's row-major order, one byte each (two's complement
 *     for int8, unsigned for uint8); copied in and out
 * @param shape the tensor's dimensions; copied in and out
 * @param axis the channel axis, in [0, rank)
 * @param scales one float32 scale per channel, each finite and > 0; copied in and out
 * @param zeroPoints one zero point per channel (the type's symmetric zero point); copied in and out
 * @param type the integer type
 */
public record PerChannelWeights(
    byte[] data, long[] shape, int axis, float[] scales, int[] zeroPoints, QuantType type) {
  /**
   * Validates and copies the arrays.
   *
   * @throws IllegalArgumentException if the arrays do not agree with the shape and axis
   */
  public PerChannelWeights {
    data = Checks.checkNotNull(data, "data").clone();
    shape = Checks.checkNotNull(shape, "shape").clone();
    scales = Checks.checkNotNull(scales, "scales").clone();
    zeroPoints = Checks.checkNotNull(zeroPoints, "zeroPoints").clone();
    Checks.checkNotNull(type, "type");
    Checks.checkArgument(
        axis >= 0 && axis < shape.length, "Axis must be in [0, %s), got: %s", shape.length, axis);
    Checks.checkArgument(
        Int8Math.elementCount(shape) == data.length,
        "Data holds %s values but the shape needs %s",
        data.length,
        Int8Math.elementCount(shape));
    Checks.checkArgument(
        scales.length == shape[axis] && zeroPoints.length == shape[axis],
        "Need %s scales and zero points (one per channel), got %s and %s",
        shape[axis],
        scales.length,
        zeroPoints.length);
    for (int c = 0; c < scales.length; c++) {
      Checks.checkArgument(
          Float.isFinite(scales[c]) && scales[c] > 0,
          "Scale of channel %s must be finite and > 0, got: %s",
          c,
          scales[c]);
      Checks.checkArgument(
          zeroPoints[c] >= type.qmin() && zeroPoints[c] <= type.qmax(),
          "Zero point of channel %s is out of range for %s: %s",
          c,
          type,
          zeroPoints[c]);
    }
  }

  /**
   * Returns a copy of the quantized bytes.
   *
   * @return the bytes, row-major
   */
  @Override
  public byte[] data() {
    return data.clone();
  }

  /**
   * Returns a read-only view of the quantized bytes, without copying.
   *
   * @return a read-only buffer over the bytes, positioned at 0
   */
  public ByteBuffer dataView() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer();
  }

  /**
   * Returns a copy of the shape.
   *
   * @return the dimensions
   */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Returns a copy of the per-channel scales.
   *
   * @return one float32 scale per channel
   */
  @Override
  public float[] scales() {
    return scales.clone();
  }

  /**
   * Returns a copy of the per-channel zero points.
   *
   * @return one zero point per channel
   */
  @Override
  public int[] zeroPoints() {
    return zeroPoints.clone();
  }

  /**
   * Returns the quantization parameters of one channel.
   *
   * @param channel the channel, in [0, shape[axis])
   * @return its scale and zero point
   */
  public QuantParams params(int channel) {
    return new QuantParams(scales[channel], zeroPoints[channel], type);
  }

  /**
   * Reconstructs the float32 weights.
   *
   * @return {@code (q - zeroPoint[c]) * scale[c]} per element, row-major
   */
  public float[] dequantize() {
    float[] out = new float[data.length];
    int channels = scales.length;
    int inner = (int) (data.length == 0 ? 0 : Int8Math.innerSize(shape, axis));
    for (int i = 0; i < data.length; i++) {
      int c = (i / inner) % channels;
      out[i] = (type.decode(data[i]) - zeroPoints[c]) * scales[c];
    }
    return out;
  }

  /** Value equality, comparing every array. */
  @Override
  public boolean equals(Object o) {
    return o instanceof PerChannelWeights other
        && axis == other.axis
        && type == other.type
        && Arrays.equals(shape, other.shape)
        && Arrays.equals(scales, other.scales)
        && Arrays.equals(zeroPoints, other.zeroPoints)
        && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    int h = 31 * axis + type.hashCode();
    h = 31 * h + Arrays.hashCode(shape);
    h = 31 * h + Arrays.hashCode(scales);
    h = 31 * h + Arrays.hashCode(zeroPoints);
    return 31 * h + Arrays.hashCode(data);
  }

  /** A summary without the arrays. */
  @Override
  public String toString() {
    return "PerChannelWeights[shape="
        + Arrays.toString(shape)
        + ", axis="
        + axis
        + ", channels="
        + scales.length
        + ", type="
        + type
        + "]";
  }
}
