package io.octet.calib;

import io.octet.util.Checks;

/**
 * Linear quantization parameters: {@code real = (q - zeroPoint) * scale}, as in ONNX {@code
 * QuantizeLinear}/{@code DequantizeLinear}.
 *
 * @param scale the float32 step between adjacent integers, in the tensor's units; finite and > 0
 * @param zeroPoint the integer that represents real 0, within [{@code type.qmin()}, {@code
 *     type.qmax()}]
 * @param type the integer type
 */
public record QuantParams(float scale, int zeroPoint, QuantType type) {
  /**
   * Validates the parameters.
   *
   * @throws IllegalArgumentException if the scale is not finite and positive or the zero point is
   *     out of the type's range
   */
  public QuantParams {
    Checks.checkNotNull(type, "type");
    Checks.checkArgument(
        Float.isFinite(scale) && scale > 0, "Scale must be finite and > 0, got: %s", scale);
    Checks.checkArgument(
        zeroPoint >= type.qmin() && zeroPoint <= type.qmax(),
        "Zero point must be in [%s, %s] for %s, got: %s",
        type.qmin(),
        type.qmax(),
        type,
        zeroPoint);
  }

  /**
   * Computes scale and zero point for a clipping range, as ONNX Runtime's quantization tool does.
   *
   * <p>The range is first widened to contain 0, so that real 0 (padding, ReLU output) is exactly
   * representable. Symmetric: {@code a = max(|lo|, |hi|)}, zero point {@link
   * QuantType#symmetricZeroPoint()} (0 for int8, 128 for uint8), {@code scale = a / ((sqmax -
   * sqmin) / 2)} over the symmetric range (a / 127 for int8, a / 127.5 for uint8). Asymmetric:
   * {@code scale = (hi - lo) / (qmax - qmin)} and {@code zeroPoint = roundHalfEven(qmin - lo /
   * scale)}, clamped to [qmin, qmax]; the zero point is computed from the float32 scale that is
   * stored, so that it matches what a runtime computes from the stored scale.
   *
   * <p>Arithmetic is done in double and the scale rounded once to float32. A range too narrow for a
   * normal float32 scale (including {@code lo == hi == 0}) gets scale 1.0 and the symmetric zero
   * point: every value in it quantizes to the zero point, an error below 1e-37.
   *
   * @param lo the lower clipping bound, finite
   * @param hi the upper clipping bound, finite, at least {@code lo}
   * @param type the integer type
   * @param symmetric whether to quantize symmetrically around 0
   * @return the parameters
   * @throws IllegalArgumentException if a bound is not finite or {@code lo > hi}
   */
  public static QuantParams fromRange(float lo, float hi, QuantType type, boolean symmetric) {
    Checks.checkNotNull(type, "type");
    Checks.checkArgument(
        Float.isFinite(lo) && Float.isFinite(hi) && lo <= hi,
        "Range must be finite with lo <= hi, got [%s, %s]",
        lo,
        hi);
    double rmin = Math.min(lo, 0.0);
    double rmax = Math.max(hi, 0.0);
    double scale;
    if (symmetric) {
      double a = Math.max(-rmin, rmax);
      scale = a / ((type.symmetricQmax() - type.symmetricQmin()) / 2.0);
    } else {
      scale = (rmax - rmin) / (type.qmax() - type.qmin());
    }
    float s = (float) scale;
    if (!(s >= Float.MIN_NORMAL)) {
      return new QuantParams(1.0f, type.symmetricZeroPoint(), type);
    }
    if (symmetric) {
      return new QuantParams(s, type.symmetricZeroPoint(), type);
    }
    long zp = (long) Math.rint(type.qmin() - rmin / s);
    return new QuantParams(s, type.saturate(zp), type);
  }

  /**
   * Returns the smallest real value representable without clipping.
   *
   * @return {@code (qmin - zeroPoint) * scale}, in the tensor's units
   */
  public float representableMin() {
    return (type.qmin() - zeroPoint) * scale;
  }

  /**
   * Returns the largest real value representable without clipping.
   *
   * @return {@code (qmax - zeroPoint) * scale}, in the tensor's units
   */
  public float representableMax() {
    return (type.qmax() - zeroPoint) * scale;
  }
}
