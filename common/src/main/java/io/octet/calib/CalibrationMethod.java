package io.octet.calib;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How a tensor's clipping range is chosen from its histogram; see {@link RangeSelector}. */
public enum CalibrationMethod {
  /** The exact minimum and maximum: no clipping. */
  MINMAX("minmax"),
  /** A central percentile of the values (or of |x| when symmetric): clips the tails. */
  PERCENTILE("percentile"),
  /** The threshold minimizing the KL divergence of the quantized distribution (TensorRT-style). */
  ENTROPY("entropy"),
  /** The range minimizing the expected squared quantization error (rounding plus clipping). */
  MSE("mse");

  private final String configName;

  CalibrationMethod(String configName) {
    this.configName = configName;
  }

  /**
   * Returns the name used in config files and on the command line.
   *
   * @return {@code "minmax"}, {@code "percentile"}, {@code "entropy"} or {@code "mse"}
   */
  public String configName() {
    return configName;
  }

  /**
   * Parses a config value.
   *
   * @param name a method's config name, case-insensitive
   * @return the method
   * @throws IllegalArgumentException if the name is not a known method; the message lists the valid
   *     names
   */
  public static CalibrationMethod fromConfig(String name) {
    for (CalibrationMethod m : values()) {
      if (m.configName.equalsIgnoreCase(name == null ? "" : name.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "Unknown calibration method '%s'; valid methods are: %s",
            name,
            Arrays.stream(values())
                .map(CalibrationMethod::configName)
                .collect(Collectors.joining(", "))));
  }
}
