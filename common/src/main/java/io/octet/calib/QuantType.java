package io.octet.calib;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * An 8-bit integer type that activations and weights are quantized to.
 *
 * <p>Symmetric quantization follows ONNX Runtime's quantization tool: int8 uses the restricted
 * range [-127, 127] with zero point 0, so that the range is symmetric and -128 is never produced;
 * uint8 uses the full range [0, 255] with zero point 128.
 */
public enum QuantType {
  /** Signed 8-bit: [-128, 127]; symmetric [-127, 127], zero point 0. ONNX {@code INT8} (3). */
  INT8("int8", -128, 127, -127, 127, 0, 3),
  /** Unsigned 8-bit: [0, 255]; symmetric [0, 255], zero point 128. ONNX {@code UINT8} (2). */
  UINT8("uint8", 0, 255, 0, 255, 128, 2);

  private final String configName;
  private final int qmin;
  private final int qmax;
  private final int symmetricQmin;
  private final int symmetricQmax;
  private final int symmetricZeroPoint;
  private final int onnxDataType;

  QuantType(
      String configName,
      int qmin,
      int qmax,
      int symmetricQmin,
      int symmetricQmax,
      int symmetricZeroPoint,
      int onnxDataType) {
    this.configName = configName;
    this.qmin = qmin;
    this.qmax = qmax;
    this.symmetricQmin = symmetricQmin;
    this.symmetricQmax = symmetricQmax;
    this.symmetricZeroPoint = symmetricZeroPoint;
    this.onnxDataType = onnxDataType;
  }

  /**
   * Returns the name used in config files.
   *
   * @return {@code "int8"} or {@code "uint8"}
   */
  public String configName() {
    return configName;
  }

  /**
   * Parses a config value.
   *
   * @param name {@code "int8"} or {@code "uint8"}, case-insensitive
   * @return the type
   * @throws IllegalArgumentException if the name is not a known type; the message lists the valid
   *     names
   */
  public static QuantType fromConfig(String name) {
    for (QuantType t : values()) {
      if (t.configName.equalsIgnoreCase(name == null ? "" : name.trim())) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "Unknown quantization type '%s'; valid types are: %s",
            name,
            Arrays.stream(values()).map(QuantType::configName).collect(Collectors.joining(", "))));
  }

  /**
   * Returns the smallest representable value.
   *
   * @return -128 or 0
   */
  public int qmin() {
    return qmin;
  }

  /**
   * Returns the largest representable value.
   *
   * @return 127 or 255
   */
  public int qmax() {
    return qmax;
  }

  /**
   * Returns the smallest value symmetric quantization produces.
   *
   * @return -127 for int8, 0 for uint8
   */
  public int symmetricQmin() {
    return symmetricQmin;
  }

  /**
   * Returns the largest value symmetric quantization produces.
   *
   * @return 127 for int8, 255 for uint8
   */
  public int symmetricQmax() {
    return symmetricQmax;
  }

  /**
   * Returns the zero point of symmetric quantization.
   *
   * @return 0 for int8, 128 for uint8
   */
  public int symmetricZeroPoint() {
    return symmetricZeroPoint;
  }

  /**
   * Returns the ONNX {@code TensorProto.DataType} number.
   *
   * @return 3 for {@code INT8}, 2 for {@code UINT8}
   */
  public int onnxDataType() {
    return onnxDataType;
  }

  /**
   * Clamps an integer to this type's full range.
   *
   * @param q any integer
   * @return {@code q} saturated to [{@link #qmin()}, {@link #qmax()}]
   */
  public int saturate(long q) {
    return (int) Math.max(qmin, Math.min(qmax, q));
  }

  /**
   * Decodes a stored byte of this type.
   *
   * @param b a byte as stored in an ONNX tensor of this type
   * @return its integer value: signed for int8, unsigned for uint8
   */
  public int decode(byte b) {
    return this == INT8 ? b : b & 0xFF;
  }
}
