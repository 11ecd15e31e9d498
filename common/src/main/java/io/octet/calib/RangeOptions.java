package io.octet.calib;

import io.octet.util.Checks;

/**
 * Options for {@link RangeSelector#select}.
 *
 * @param percentile for {@link CalibrationMethod#PERCENTILE}: the share of values kept, in percent,
 *     in (0, 100]; {@value #DEFAULT_PERCENTILE} by default
 * @param symmetric whether the range will be quantized symmetrically around 0: methods then choose
 *     one threshold T on |x| and return [-T, T]
 * @param type the integer type the range is for; it sets the number of quantization levels the
 *     entropy and MSE searches assume
 */
public record RangeOptions(double percentile, boolean symmetric, QuantType type) {
  /** The default percentile, as in ONNX Runtime's percentile calibrator. */
  public static final double DEFAULT_PERCENTILE = 99.999;

  /**
   * Validates the options.
   *
   * @throws IllegalArgumentException if the percentile is outside (0, 100]
   */
  public RangeOptions {
    Checks.checkArgument(
        percentile > 0 && percentile <= 100, "Percentile must be in (0, 100], got: %s", percentile);
    Checks.checkNotNull(type, "type");
  }

  /**
   * Returns options with the default percentile.
   *
   * @param type the integer type
   * @param symmetric whether the range will be quantized symmetrically
   * @return the options
   */
  public static RangeOptions of(QuantType type, boolean symmetric) {
    return new RangeOptions(DEFAULT_PERCENTILE, symmetric, type);
  }
}
