package io.octet.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HalfTest {

  /** The value of a binary16 pattern computed from its definition, in double arithmetic. */
  private static double reference(int h) {
    int sign = (h >>> 15) & 1;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    double mag;
    if (exp == 0) {
      mag = mant * Math.pow(2, -24);
    } else if (exp == 0x1f) {
      mag = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else {
      mag = (1 + mant / 1024.0) * Math.pow(2, exp - 15);
    }
    return sign == 1 ? -mag : mag;
  }

  @Test
  void everyBitPatternRoundTripsAndDecodesToItsDefinedValue() {
    int nans = 0;
    for (int h = 0; h <= 0xffff; h++) {
      float f = Half.toFloat((short) h);
      double expected = reference(h);
      short back = Half.fromFloat(f);
      if (Double.isNaN(expected)) {
        nans++;
        assertThat(f).as("0x%04x decodes to NaN", h).isNaN();
        assertThat(Float.isNaN(Half.toFloat(back))).as("0x%04x stays NaN", h).isTrue();
        assertThat(back & 0x8000).as("0x%04x keeps its sign", h).isEqualTo(h & 0x8000);
        continue;
      }
      assertThat((double) f).as("value of 0x%04x", h).isEqualTo(expected);
      assertThat(Float.floatToRawIntBits(f) >>> 31)
          .as("sign of 0x%04x (including -0)", h)
          .isEqualTo(h >>> 15);
      assertThat(back & 0xffff).as("0x%04x round-trips", h).isEqualTo(h);
    }
    assertThat(nans).as("2 × (2^10 − 1) NaN patterns").isEqualTo(2046);
  }

  @Test
  void midpointsRoundToEvenHandComputed() {
    // Near 1.0 the half spacing is 2^-10.
    assertThat(bits(1f + 0x1p-11f)).as("1 + 2^-11 ties to 1.0 (even)").isEqualTo(0x3c00);
    assertThat(bits(1f + 3 * 0x1p-11f)).as("1 + 3·2^-11 ties up to 0x3c02").isEqualTo(0x3c02);
    assertThat(bits(1f + 0x1p-11f + 0x1p-20f)).as("just above the tie").isEqualTo(0x3c01);
    assertThat(bits(1f + 0x1p-11f - 0x1p-20f)).as("just below the tie").isEqualTo(0x3c00);
    assertThat(bits(-(1f + 0x1p-11f))).as("negative tie").isEqualTo(0xbc00);
    // Near 2048 the spacing is 2: 2049 lies between 2048 (0x6800) and 2050 (0x6801).
    assertThat(bits(2049f)).as("2049 -> 2048").isEqualTo(0x6800);
    assertThat(bits(2051f)).as("2051 -> 2052").isEqualTo(0x6802);
    // Largest finite half is 65504 (0x7bff); the tie with 65536 rounds to even, i.e. Inf.
    assertThat(bits(65519.996f)).as("below the overflow tie").isEqualTo(0x7bff);
    assertThat(bits(65520f)).as("overflow tie -> +Inf").isEqualTo(0x7c00);
    assertThat(bits(1e6f)).as("overflow").isEqualTo(0x7c00);
    // Subnormals: the smallest is 2^-24 (0x0001).
    assertThat(bits(0x1p-25f)).as("2^-25 ties to +0").isEqualTo(0x0000);
    assertThat(bits(0x1p-25f + 0x1p-40f)).as("just above -> 2^-24").isEqualTo(0x0001);
    assertThat(bits(3 * 0x1p-25f)).as("3·2^-25 ties up to 0x0002").isEqualTo(0x0002);
    assertThat(bits(1023.5f * 0x1p-24f))
        .as("between the largest subnormal and the smallest normal -> normal (even)")
        .isEqualTo(0x0400);
    assertThat(bits(0x1p-30f)).as("far below the smallest subnormal").isEqualTo(0x0000);
    assertThat(bits(-0x1p-30f)).as("keeps the sign of zero").isEqualTo(0x8000);
    assertThat(bits(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
  }

  @Test
  void everyMidpointBetweenAdjacentHalvesRoundsToTheEvenOne() {
    for (int h = 0; h < 0x7bff; h++) {
      float lo = Half.toFloat((short) h);
      float hi = Half.toFloat((short) (h + 1));
      // Halves carry 11 significant bits, so their midpoint is exact in float.
      float mid = (lo + hi) / 2;
      int even = (h & 1) == 0 ? h : h + 1;
      assertThat(bits(mid)).as("tie between 0x%04x and 0x%04x", h, h + 1).isEqualTo(even);
      assertThat(bits(Math.nextDown(mid))).as("below tie 0x%04x", h).isEqualTo(h);
      assertThat(bits(Math.nextUp(mid))).as("above tie 0x%04x", h).isEqualTo(h + 1);
      assertThat(bits(-mid)).as("negative tie 0x%04x", h).isEqualTo(even | 0x8000);
    }
  }

  private static int bits(float f) {
    return Half.fromFloat(f) & 0xffff;
  }
}
