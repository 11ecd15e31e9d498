package io.octet.calib;

import io.octet.util.Checks;

/**
 * A clipping range for one tensor, in the tensor's float32 units. It need not contain 0: {@link
 * QuantParams#fromRange} widens it.
 *
 * @param lo the lower clipping bound, finite
 * @param hi the upper clipping bound, finite, at least {@code lo}
 */
public record ClipRange(float lo, float hi) {
  /**
   * Validates the range.
   *
   * @throws IllegalArgumentException if a bound is not finite or {@code lo > hi}
   */
  public ClipRange {
    Checks.checkArgument(
        Float.isFinite(lo) && Float.isFinite(hi) && lo <= hi,
        "Clip range must be finite with lo <= hi, got [%s, %s]",
        lo,
        hi);
  }

  /**
   * Returns the scale and zero point for this range.
   *
   * @param type the integer type
   * @param symmetric whether to quantize symmetrically around 0
   * @return {@link QuantParams#fromRange QuantParams.fromRange(lo, hi, type, symmetric)}
   */
  public QuantParams toQuantParams(QuantType type, boolean symmetric) {
    return QuantParams.fromRange(lo, hi, type, symmetric);
  }
}
