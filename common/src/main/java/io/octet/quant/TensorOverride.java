package io.octet.quant;

import io.octet.calib.CalibrationMethod;
import io.octet.calib.QuantType;

/**
 * Per-tensor exceptions to the model-wide quantization settings. Every field is optional (null
 * means "use the model's setting").
 *
 * @param method clipping method for this tensor
 * @param percentile percentile for the percentile method
 * @param lo fixed lower bound of the range (with {@code hi}: skips calibration for the tensor)
 * @param hi fixed upper bound of the range
 * @param symmetric symmetric range around zero
 * @param activationType int8 or uint8
 */
public record TensorOverride(
    CalibrationMethod method,
    Double percentile,
    Float lo,
    Float hi,
    Boolean symmetric,
    QuantType activationType)
    implements java.io.Serializable {

  /** Validates that a fixed range is complete and ordered. */
  public TensorOverride {
    if ((lo == null) != (hi == null)) {
      throw new IllegalArgumentException("A fixed range needs both lo and hi");
    }
    if (lo != null && !(lo <= hi && Float.isFinite(lo) && Float.isFinite(hi))) {
      throw new IllegalArgumentException(
          "A fixed range needs finite lo <= hi, got " + lo + ", " + hi);
    }
    if (percentile != null && !(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("Percentile must be in (0, 100], got " + percentile);
    }
  }

  /**
   * Whether the range is fixed by the override, so the tensor needs no calibration.
   *
   * @return true when lo and hi are given
   */
  public boolean fixedRange() {
    return lo != null;
  }
}
