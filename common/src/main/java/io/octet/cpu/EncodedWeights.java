package io.octet.cpu;

import io.octet.util.Checks;
import java.util.Arrays;

/**
 * Symmetric int8 weights (zero point 0) with one scale per channel, or one for the tensor.
 *
 * @param data the int8 values in row-major order, two's complement; copied in and out
 * @param scales one float32 scale per channel (one element when per-tensor), each finite and > 0;
 *     copied in and out
 */
public record EncodedWeights(byte[] data, float[] scales) {
  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException if there is no scale or a scale is not finite and positive
   */
  public EncodedWeights {
    data = Checks.checkNotNull(data, "data").clone();
    scales = Checks.checkNotNull(scales, "scales").clone();
    Checks.checkArgument(scales.length > 0, "Need at least one scale");
    for (int c = 0; c < scales.length; c++) {
      Checks.checkArgument(
          Float.isFinite(scales[c]) && scales[c] > 0,
          "Scale of channel %s must be finite and > 0, got: %s",
          c,
          scales[c]);
    }
  }

  @Override
  public byte[] data() {
    return data.clone();
  }

  @Override
  public float[] scales() {
    return scales.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncodedWeights e
        && Arrays.equals(data, e.data)
        && Arrays.equals(scales, e.scales);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(data) + Arrays.hashCode(scales);
  }

  @Override
  public String toString() {
    return "EncodedWeights[" + data.length + " values, " + scales.length + " scales]";
  }
}
