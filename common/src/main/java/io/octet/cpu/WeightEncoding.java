package io.octet.cpu;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How int8 weights of integer MatMul/Gemm/Conv kernels are encoded. */
public enum WeightEncoding {
  /** {@code max|w| / 127} per channel: every bit, but pairs can saturate on AVX2. */
  FULL_RANGE("full-range"),
  /**
   * 7-bit weights, {@code max|w| / 64} per channel (ONNX Runtime's {@code reduce_range}): no pair
   * can pass 128, at the cost of one bit on every weight.
   */
  REDUCE_RANGE("reduce-range"),
  /**
   * Per-channel scale and rounding chosen jointly so that every pair of weights the AVX2 kernel
   * adds together stays within the int16 bound, keeping every bit the bound allows; never worse
   * than {@link #REDUCE_RANGE} (see {@link SaturationAwareEncoder}).
   */
  SATURATION_AWARE("saturation-aware");

  private final String configName;

  WeightEncoding(String configName) {
    this.configName = configName;
  }

  /**
   * Returns the name used in config files and reports.
   *
   * @return e.g. {@code saturation-aware}
   */
  public String configName() {
    return configName;
  }

  /**
   * Returns whether this encoding is free of pair saturation on every CPU.
   *
   * @return false only for {@link #FULL_RANGE}
   */
  public boolean isPairSafe() {
    return this != FULL_RANGE;
  }

  /**
   * Parses a config value; {@code auto} means the target's default.
   *
   * @param name {@code auto}, {@code full-range}, {@code reduce-range} or {@code saturation-aware}
   * @param target the target {@code auto} resolves for
   * @return the encoding
   * @throws IllegalArgumentException naming the accepted values
   */
  public static WeightEncoding fromConfig(String name, Target target) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (n.equals("auto")) {
      return target.defaultEncoding();
    }
    for (WeightEncoding e : values()) {
      if (e.configName.equals(n)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        "quantization.weight-encoding = '"
            + name
            + "' is not an encoding; use auto or one of "
            + Arrays.stream(values())
                .map(WeightEncoding::configName)
                .collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return configName;
  }
}
