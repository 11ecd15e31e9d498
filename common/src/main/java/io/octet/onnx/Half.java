package io.octet.onnx;

/**
 * IEEE 754 binary16 conversions (Java 17 has none built in).
 *
 * <p>{@link #fromFloat} rounds to nearest, ties to even, overflows to infinity and keeps NaN a NaN,
 * which is what ONNX Runtime's Cast does, so a model converted here computes what the same model
 * cast at run time would.
 */
public final class Half {
  private Half() {}

  /**
   * Converts a float32 to binary16 bits.
   *
   * @param f the value
   * @return the half-precision bit pattern
   */
  public static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) {
      // Inf stays Inf; any NaN becomes a quiet NaN.
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      // Subnormal half: shift the implicit-one mantissa right, rounding to nearest even.
      mant |= 0x800000;
      int shift = 14 - e;
      int half = mant >> shift;
      int rem = mant & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
      half++; // may carry into the exponent, which correctly rounds up to the next binade or Inf
    }
    return (short) (sign | half);
  }

  /**
   * Converts binary16 bits to float32 (exact).
   *
   * @param h the half-precision bit pattern
   * @return the value
   */
  public static float toFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      // Subnormal: value = mant * 2^-24.
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }
}
