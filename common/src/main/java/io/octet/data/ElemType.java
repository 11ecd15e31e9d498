package io.octet.data;

import java.util.Locale;

/** Element types a model input can have, with their ONNX type numbers. */
public enum ElemType {
  /** 32-bit float. */
  FLOAT(1, 4),
  /** Unsigned byte. */
  UINT8(2, 1),
  /** Signed byte. */
  INT8(3, 1),
  /** 32-bit integer. */
  INT32(6, 4),
  /** 64-bit integer. */
  INT64(7, 8),
  /** Boolean, one byte each. */
  BOOL(9, 1),
  /** 64-bit float. */
  DOUBLE(11, 8);

  private final int onnxType;
  private final int bytes;

  ElemType(int onnxType, int bytes) {
    this.onnxType = onnxType;
    this.bytes = bytes;
  }

  /**
   * Returns the ONNX TensorProto.DataType number.
   *
   * @return the number
   */
  public int onnxType() {
    return onnxType;
  }

  /**
   * Returns the size of one element.
   *
   * @return bytes per element
   */
  public int bytes() {
    return bytes;
  }

  /**
   * Returns the type with an ONNX type number.
   *
   * @param onnxType the TensorProto.DataType number
   * @return the type
   * @throws IllegalArgumentException if Octet cannot feed that type
   */
  public static ElemType fromOnnx(int onnxType) {
    for (ElemType t : values()) {
      if (t.onnxType == onnxType) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "Model inputs of ONNX element type " + onnxType + " are not supported");
  }

  /**
   * Parses a config name such as "float32", "int64" or "float".
   *
   * @param name the name
   * @return the type
   * @throws IllegalArgumentException naming the accepted spellings
   */
  public static ElemType fromConfig(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "float", "float32" -> FLOAT;
      case "double", "float64" -> DOUBLE;
      case "int64", "long" -> INT64;
      case "int32", "int" -> INT32;
      case "int8" -> INT8;
      case "uint8" -> UINT8;
      case "bool", "boolean" -> BOOL;
      default ->
          throw new IllegalArgumentException(
              "Unknown dtype '"
                  + name
                  + "': use one of float32, float64, int64, int32, int8, uint8, bool");
    };
  }

  /**
   * Returns the config spelling of this type.
   *
   * @return e.g. "float32"
   */
  public String configName() {
    return switch (this) {
      case FLOAT -> "float32";
      case DOUBLE -> "float64";
      default -> name().toLowerCase(Locale.ROOT);
    };
  }
}
