package io.octet.quant;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a model is quantized. */
public enum QuantMode {
  /** INT8 QDQ with activation ranges calibrated ahead of time. */
  STATIC("static"),
  /** INT8 weights; activation ranges computed at run time (transformer MatMuls). */
  DYNAMIC("dynamic"),
  /** Half-precision initializers and compute, FP32 at the boundaries. */
  FP16("fp16"),
  /** Blockwise 4-bit MatMul weights (com.microsoft MatMulNBits), activations stay float. */
  WEIGHT_ONLY_INT4("weight-only-int4"),
  /**
   * Not a recipe but the search for one: candidate recipes derived from the graph are evaluated on
   * the validation sample and the fastest that passes the gate is used ({@code quantization.auto}).
   * Resolved to one of the other modes before anything is quantized.
   */
  AUTO("auto");

  private final String configName;

  QuantMode(String configName) {
    this.configName = configName;
  }

  /**
   * Returns the name used in config files and on the command line.
   *
   * @return e.g. "static"
   */
  public String configName() {
    return configName;
  }

  /**
   * Whether this mode needs calibration data.
   *
   * @return true for STATIC (AUTO uses calibration data when there is some, for its static
   *     candidates, and needs none)
   */
  public boolean needsCalibration() {
    return this == STATIC;
  }

  /**
   * Parses a config name.
   *
   * @param name e.g. "dynamic"
   * @return the mode
   * @throws IllegalArgumentException listing the valid names
   */
  public static QuantMode fromConfig(String name) {
    for (QuantMode m : values()) {
      if (m.configName.equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "Unknown quantization mode '"
            + name
            + "': use one of "
            + Arrays.stream(values()).map(QuantMode::configName).collect(Collectors.joining(", ")));
  }
}
