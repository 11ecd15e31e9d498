package io.octet.histogram;

/**
 * The power-of-two bin grid shared by {@link Histogram} and {@link HistogramAccumulator}.
 *
 * <p>At level {@code k} bin {@code j} covers {@code [j * 2^k, (j + 1) * 2^k)}. A float32 value
 * times {@code 2^-k} is exact in double for every level used here (no overflow, no underflow, and a
 * power-of-two factor only moves the exponent), so {@code floor(x * 2^-k)} is the exact bin index,
 * and coarsening by one level is an exact {@code floorDiv(j, 2)}.
 */
final class Grid {
  /** Smallest level: every float32 (the smallest subnormal is 2^-149) gets its own bin. */
  static final int MIN_LEVEL = -150;

  /**
   * Largest level: at 2^130 every finite float32 (|x| < 2^128) falls into bin -1 or 0, so any data
   * fits in two bins and the level search always stops here.
   */
  static final int MAX_LEVEL = 130;

  /**
   * Exclusive bound on |bin index|. Keeping indices below 2^52 keeps both edges of every bin exact
   * in double ({@code j} and {@code j + 1} are representable), so edges never collapse. For data
   * with at least two distinct values the span rule alone keeps indices below 2^41, so this bound
   * only decides the level when every finite value is the same.
   */
  static final double INDEX_LIMIT = 0x1p52;

  private Grid() {}

  /** Returns {@code 2^-level}, the factor that maps a value to its bin coordinate. */
  static double inverseWidth(int level) {
    return Math.scalb(1.0, -level);
  }

  /** Returns {@code 2^level}, the bin width. */
  static double width(int level) {
    return Math.scalb(1.0, level);
  }

  /** Returns the index of the bin holding finite {@code x} at {@code level}. */
  static long index(float x, int level) {
    return (long) Math.floor(x * inverseWidth(level));
  }

  /**
   * Returns whether values in {@code [min, max]} fit in {@code numBins} bins at {@code level} with
   * indices inside {@link #INDEX_LIMIT}.
   */
  static boolean fits(int level, float min, float max, int numBins) {
    double s = inverseWidth(level);
    double absMax = Math.max(Math.abs((double) min), Math.abs((double) max));
    if (absMax * s >= INDEX_LIMIT) {
      return false;
    }
    long span = (long) Math.floor(max * s) - (long) Math.floor(min * s) + 1;
    return span <= numBins;
  }

  /**
   * Returns the smallest level at or above {@code fromLevel} where {@code [min, max]} fits.
   *
   * <p>{@link #fits} is monotone in the level (coarsening never widens a span), so the first level
   * that fits is the canonical one as long as {@code fromLevel} is not above it. The search starts
   * from a lower bound derived from the exponents, which is at most the answer, so it takes a
   * couple of steps instead of up to 280.
   */
  static int canonicalLevel(float min, float max, int numBins, int fromLevel) {
    // span > (max - min) * 2^-k, so span <= B needs 2^k > (max - min) / B; one level of margin
    // absorbs the rounding of the double subtraction and division.
    int spanBound = Math.getExponent(((double) max - (double) min) / numBins) - 1;
    double absMax = Math.max(Math.abs((double) min), Math.abs((double) max));
    int indexBound = Math.getExponent(absMax) - 53;
    int k = Math.max(fromLevel, Math.max(MIN_LEVEL, Math.max(spanBound, indexBound)));
    while (!fits(k, min, max, numBins)) {
      k++;
    }
    return k;
  }

  /** Maps bin {@code j} to its bin {@code levels} levels coarser: {@code floor(j / 2^levels)}. */
  static long coarsen(long j, int levels) {
    // An arithmetic shift is floorDiv by a power of two, also for negative j; Java masks shift
    // distances to 6 bits, so large distances are handled explicitly.
    return levels >= 63 ? j >> 63 : j >> levels;
  }
}
