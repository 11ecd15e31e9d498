package io.octet.histogram;

import io.octet.util.Checks;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Immutable, canonical histogram of float32 values: the snapshot of a {@link HistogramAccumulator}.
 *
 * <p><b>Grid.</b> Bins lie on a power-of-two grid anchored at 0: at level {@code k} bin {@code j}
 * covers {@code [j * 2^k, (j + 1) * 2^k)} ({@code j} may be negative). {@code counts[i]} is the
 * count of bin {@code firstBin + i}.
 *
 * <p><b>Canonical form.</b> For a histogram of signed values ({@code absolute() == false}) the
 * level is the smallest {@code k >= MIN_LEVEL} such that the occupied span {@code floor(max * 2^-k)
 * - floor(min * 2^-k) + 1} is at most {@code numBins} and every bin index stays below 2^52 in
 * magnitude (the second rule keeps both edges of each bin exact in double; it only decides the
 * level when all finite values are equal). {@code firstBin} is the bin of {@code min} and the
 * counts run to the bin of {@code max}. Since the level depends only on the exact minimum and
 * maximum, the canonical histogram is a function of the multiset of values alone: any partitioning
 * and any merge order give an {@link #equals equal} histogram. The compact constructor checks all
 * of this, so every signed {@code Histogram} instance, including a deserialized one, is canonical.
 *
 * <p><b>Non-finite values</b> are counted ({@code nanCount}, {@code posInfCount}, {@code
 * negInfCount}) and excluded from the bins, from {@code min}/{@code max} and from {@code
 * totalCount}. Negative zero is stored as positive zero so that equality does not depend on which
 * zero was seen first. An empty histogram has no counts, {@code min = +Inf}, {@code max = -Inf},
 * {@code level = MIN_LEVEL} and {@code firstBin = 0}.
 *
 * <p><b>Absolute histograms</b> ({@code absolute() == true}) come only from {@link
 * #foldAbsolute()}: the histogram of {@code |x|} on the same grid. They are valid histograms but
 * not canonical (their level is that of the signed data) and cannot be merged into an accumulator.
 *
 * @param numBins the bin budget B: a power of two in [{@value #MIN_BINS}, {@value #MAX_BINS}]
 * @param level the grid level k: bins are 2^k wide
 * @param firstBin the grid index of {@code counts[0]}
 * @param counts bin counts from {@code firstBin} to the bin of {@code max}; first and last are
 *     non-zero; at most {@code numBins} long (copied in and out)
 * @param min the smallest finite value (exact for signed histograms), or +Inf when empty
 * @param max the largest finite value (exact), or -Inf when empty
 * @param totalCount the number of finite values, which is the sum of {@code counts}
 * @param nanCount the number of NaN values seen
 * @param posInfCount the number of +Inf values seen
 * @param negInfCount the number of -Inf values seen
 * @param absolute whether this is the folded histogram of |x| made by {@link #foldAbsolute()}
 */
public record Histogram(
    int numBins,
    int level,
    long firstBin,
    long[] counts,
    float min,
    float max,
    long totalCount,
    long nanCount,
    long posInfCount,
    long negInfCount,
    boolean absolute)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Smallest bin budget accepted. */
  public static final int MIN_BINS = 128;

  /** Largest bin budget accepted. */
  public static final int MAX_BINS = 65536;

  /** The bin budget callers use unless configured otherwise. */
  public static final int DEFAULT_BINS = 4096;

  /** Smallest grid level: bins 2^-150 wide, finer than the smallest float32 subnormal. */
  public static final int MIN_LEVEL = Grid.MIN_LEVEL;

  /** Largest grid level: bins 2^130 wide, which holds every finite float32 in two bins. */
  public static final int MAX_LEVEL = Grid.MAX_LEVEL;

  /**
   * Validates the histogram; for signed histograms also that it is in canonical form.
   *
   * @throws IllegalArgumentException if any field is inconsistent with the others
   */
  public Histogram {
    checkNumBins(numBins);
    Checks.checkNotNull(counts, "counts");
    counts = counts.clone();
    Checks.checkArgument(
        nanCount >= 0 && posInfCount >= 0 && negInfCount >= 0,
        "Non-finite counts must be non-negative, got NaN=%s, +Inf=%s, -Inf=%s",
        nanCount,
        posInfCount,
        negInfCount);
    Checks.checkArgument(
        level >= MIN_LEVEL && level <= MAX_LEVEL,
        "Level must be in [%s, %s], got: %s",
        MIN_LEVEL,
        MAX_LEVEL,
        level);
    if (totalCount == 0) {
      Checks.checkArgument(
          counts.length == 0
              && min == Float.POSITIVE_INFINITY
              && max == Float.NEGATIVE_INFINITY
              && level == MIN_LEVEL
              && firstBin == 0,
          "An empty histogram must have no counts, min=+Inf, max=-Inf, level=%s and firstBin=0,"
              + " got %s counts, min=%s, max=%s, level=%s, firstBin=%s",
          MIN_LEVEL,
          counts.length,
          min,
          max,
          level,
          firstBin);
    } else {
      Checks.checkArgument(totalCount > 0, "Total count must be non-negative, got: %s", totalCount);
      Checks.checkArgument(
          Float.isFinite(min) && Float.isFinite(max) && min <= max,
          "Min and max must be finite with min <= max, got min=%s, max=%s",
          min,
          max);
      Checks.checkArgument(
          Float.floatToRawIntBits(min) != Float.floatToRawIntBits(-0.0f)
              && Float.floatToRawIntBits(max) != Float.floatToRawIntBits(-0.0f),
          "Min and max must store zero as +0.0, not -0.0");
      Checks.checkArgument(
          counts.length >= 1 && counts.length <= numBins,
          "Counts must hold 1 to %s bins, got: %s",
          numBins,
          counts.length);
      Checks.checkArgument(
          counts[0] > 0 && counts[counts.length - 1] > 0,
          "The first and last bins must be occupied, got counts %s and %s",
          counts[0],
          counts[counts.length - 1]);
      long sum = 0;
      for (long c : counts) {
        Checks.checkArgument(c >= 0, "Bin counts must be non-negative, got: %s", c);
        sum = Math.addExact(sum, c);
      }
      Checks.checkArgument(
          sum == totalCount, "Bin counts sum to %s but totalCount is %s", sum, totalCount);
      Checks.checkArgument(
          Math.abs((double) firstBin) < Grid.INDEX_LIMIT
              && Math.abs((double) firstBin + counts.length) <= Grid.INDEX_LIMIT,
          "Bin indices must stay below 2^52 in magnitude, got firstBin=%s",
          firstBin);
      if (absolute) {
        checkAbsolute(level, firstBin, counts.length, min, max, negInfCount);
      } else {
        checkCanonical(numBins, level, firstBin, counts.length, min, max);
      }
    }
  }

  /**
   * Returns the empty histogram for a bin budget.
   *
   * @param numBins the bin budget, a power of two in [{@value #MIN_BINS}, {@value #MAX_BINS}]
   * @return a histogram with no values
   * @throws IllegalArgumentException if {@code numBins} is not an accepted budget
   */
  public static Histogram empty(int numBins) {
    return new Histogram(
        numBins,
        MIN_LEVEL,
        0,
        new long[0],
        Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        0,
        0,
        0,
        0,
        false);
  }

  /**
   * Merges two signed histograms. The result equals the histogram of the union accumulated in one
   * pass, bit for bit; the operation is commutative and associative.
   *
   * @param a a signed histogram
   * @param b a signed histogram with the same bin budget
   * @return the histogram of both inputs' values
   * @throws IllegalArgumentException if the budgets differ or either input is an absolute histogram
   */
  public static Histogram merge(Histogram a, Histogram b) {
    Checks.checkNotNull(a, "a");
    Checks.checkNotNull(b, "b");
    HistogramAccumulator acc = HistogramAccumulator.from(a);
    acc.merge(b);
    return acc.snapshot();
  }

  /**
   * Returns a copy of the bin counts.
   *
   * @return {@code counts[i]} is the number of finite values in bin {@code firstBin + i}
   */
  @Override
  public long[] counts() {
    return counts.clone();
  }

  /**
   * Returns one bin's count without copying the array.
   *
   * @param i the bin position, 0 to {@code spanBins() - 1}
   * @return the count of bin {@code firstBin + i}
   * @throws IndexOutOfBoundsException if {@code i} is out of range
   */
  public long count(int i) {
    return counts[i];
  }

  /**
   * Returns the number of stored bins, from the bin of {@code min} to the bin of {@code max}.
   *
   * @return the length of {@link #counts()}, at most {@code numBins}; 0 when empty
   */
  public int spanBins() {
    return counts.length;
  }

  /**
   * Returns the grid index of the last stored bin.
   *
   * @return {@code firstBin + spanBins() - 1}
   */
  public long lastBin() {
    return firstBin + counts.length - 1;
  }

  /**
   * Returns the bin width.
   *
   * @return {@code 2^level}, in the units of the values
   */
  public double binWidth() {
    return Grid.width(level);
  }

  /**
   * Returns the lower edge of a stored bin (exact in double).
   *
   * @param i the bin position, 0 to {@code spanBins() - 1}
   * @return {@code (firstBin + i) * 2^level}
   * @throws IndexOutOfBoundsException if {@code i} is out of range
   */
  public double binLow(int i) {
    Objects.checkIndex(i, counts.length);
    return (double) (firstBin + i) * binWidth();
  }

  /**
   * Returns the upper edge of a stored bin (exact in double).
   *
   * @param i the bin position, 0 to {@code spanBins() - 1}
   * @return {@code (firstBin + i + 1) * 2^level}
   * @throws IndexOutOfBoundsException if {@code i} is out of range
   */
  public double binHigh(int i) {
    Objects.checkIndex(i, counts.length);
    return (double) (firstBin + i + 1) * binWidth();
  }

  /**
   * Returns whether no finite value was seen (non-finite values may have been).
   *
   * @return {@code totalCount() == 0}
   */
  public boolean isEmpty() {
    return totalCount == 0;
  }

  /**
   * Returns the number of non-finite values seen.
   *
   * @return NaN, +Inf and -Inf counts together
   */
  public long nonFiniteCount() {
    return nanCount + posInfCount + negInfCount;
  }

  /**
   * Returns the histogram of {@code |x|} on the same grid, with no loss of counts.
   *
   * <p>Because bins are anchored at 0, negative bin {@code j}, which covers {@code [j*w, (j+1)*w)},
   * maps exactly onto bin {@code -j-1}, which covers the absolute values {@code (-(j+1)*w, -j*w]}:
   * a value on a bin boundary moves from the closed to the open end of its bin, so {@code -w} is
   * counted in bin 0 where {@code +w} would be in bin 1. {@code max} is exact ({@code max(|min|,
   * |max|)}). {@code min} is exact when all values have one sign; when the data straddle zero it is
   * the smallest float32 at or above the lower edge of the first occupied bin, a bound within one
   * bin of the true minimum of {@code |x|}. -Inf values are counted as +Inf; NaN counts are kept.
   * Folding an absolute histogram returns it unchanged.
   *
   * @return an {@linkplain #absolute() absolute} histogram of {@code |x|}
   */
  public Histogram foldAbsolute() {
    if (absolute) {
      return this;
    }
    long infinities = posInfCount + negInfCount;
    if (isEmpty()) {
      return new Histogram(
          numBins,
          level,
          0,
          new long[0],
          Float.POSITIVE_INFINITY,
          Float.NEGATIVE_INFINITY,
          0,
          nanCount,
          infinities,
          0,
          true);
    }
    long last = lastBin();
    long newFirst;
    long newLast;
    if (firstBin >= 0) {
      newFirst = firstBin;
      newLast = last;
    } else if (last < 0) {
      newFirst = -last - 1;
      newLast = -firstBin - 1;
    } else {
      newFirst = 0;
      newLast = Math.max(last, -firstBin - 1);
    }
    long[] folded = new long[Math.toIntExact(newLast - newFirst + 1)];
    for (int i = 0; i < counts.length; i++) {
      long j = firstBin + i;
      long target = j >= 0 ? j : -j - 1;
      folded[(int) (target - newFirst)] += counts[i];
    }
    // Straddling data can leave the bins nearest zero empty on both sides: trim them.
    int lead = 0;
    while (folded[lead] == 0) {
      lead++;
    }
    if (lead > 0) {
      folded = Arrays.copyOfRange(folded, lead, folded.length);
      newFirst += lead;
    }
    float newMin;
    if (min >= 0) {
      newMin = min;
    } else if (max <= 0) {
      newMin = -max + 0.0f;
    } else {
      double edge = newFirst * binWidth();
      newMin = (float) edge;
      if (newMin < edge) {
        newMin = Math.nextUp(newMin);
      }
    }
    float newMax = Math.max(-min, max);
    return new Histogram(
        numBins,
        level,
        newFirst,
        folded,
        newMin,
        newMax,
        totalCount,
        nanCount,
        infinities,
        0,
        true);
  }

  /**
   * Returns the {@code q}-quantile, interpolating linearly within the bin that holds it.
   *
   * <p>The value of rank {@code q * totalCount} is located in its bin, then placed linearly between
   * the bin's edges, narrowed to {@code [min, max]} for the first and last bins. {@code q = 0} and
   * {@code q = 1} return {@code min} and {@code max} exactly. The result is within one bin width of
   * the exact sample quantile.
   *
   * @param q the quantile, in [0, 1]
   * @return the estimated quantile, in the units of the values, within {@code [min, max]}
   * @throws IllegalArgumentException if {@code q} is outside [0, 1] or NaN
   * @throws IllegalStateException if the histogram is empty
   */
  public double quantile(double q) {
    Checks.checkArgument(q >= 0 && q <= 1, "Quantile must be in [0, 1], got: %s", q);
    Checks.checkState(!isEmpty(), "Cannot take a quantile of an empty histogram");
    if (q == 0) {
      return min;
    }
    if (q == 1) {
      return max;
    }
    double target = q * totalCount;
    long before = 0;
    int i = 0;
    while (i < counts.length - 1 && before + counts[i] < target) {
      before += counts[i];
      i++;
    }
    double lo = Math.max(binLow(i), min);
    double hi = Math.min(binHigh(i), max);
    double fraction = Math.min(1.0, Math.max(0.0, (target - before) / counts[i]));
    double value = lo + fraction * (hi - lo);
    return Math.min(max, Math.max(min, value));
  }

  /**
   * Value equality over every field, including the bin counts; float fields compare by bit pattern.
   */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Histogram)) {
      return false;
    }
    Histogram h = (Histogram) o;
    return numBins == h.numBins
        && level == h.level
        && firstBin == h.firstBin
        && Float.floatToIntBits(min) == Float.floatToIntBits(h.min)
        && Float.floatToIntBits(max) == Float.floatToIntBits(h.max)
        && totalCount == h.totalCount
        && nanCount == h.nanCount
        && posInfCount == h.posInfCount
        && negInfCount == h.negInfCount
        && absolute == h.absolute
        && Arrays.equals(counts, h.counts);
  }

  @Override
  public int hashCode() {
    int h = Integer.hashCode(numBins);
    h = 31 * h + level;
    h = 31 * h + Long.hashCode(firstBin);
    h = 31 * h + Float.floatToIntBits(min);
    h = 31 * h + Float.floatToIntBits(max);
    h = 31 * h + Long.hashCode(totalCount);
    h = 31 * h + Long.hashCode(nanCount);
    h = 31 * h + Long.hashCode(posInfCount);
    h = 31 * h + Long.hashCode(negInfCount);
    h = 31 * h + Boolean.hashCode(absolute);
    return 31 * h + Arrays.hashCode(counts);
  }

  /** A one-line summary; the counts themselves are left out (there can be 65,536 of them). */
  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "Histogram[numBins=%d, level=%d, firstBin=%d, spanBins=%d, min=%s, max=%s, totalCount=%d,"
            + " nan=%d, +inf=%d, -inf=%d, absolute=%s]",
        numBins,
        level,
        firstBin,
        counts.length,
        min,
        max,
        totalCount,
        nanCount,
        posInfCount,
        negInfCount,
        absolute);
  }

  static void checkNumBins(int numBins) {
    Checks.checkArgument(
        numBins >= MIN_BINS && numBins <= MAX_BINS && Integer.bitCount(numBins) == 1,
        "Number of bins must be a power of two in [%s, %s], got: %s",
        MIN_BINS,
        MAX_BINS,
        numBins);
  }

  private static void checkCanonical(
      int numBins, int level, long firstBin, int length, float min, float max) {
    Checks.checkArgument(
        Grid.fits(level, min, max, numBins)
            && (level == MIN_LEVEL || !Grid.fits(level - 1, min, max, numBins)),
        "Level %s is not the canonical level for min=%s, max=%s and %s bins (expected %s)",
        level,
        min,
        max,
        numBins,
        Grid.canonicalLevel(min, max, numBins, MIN_LEVEL));
    Checks.checkArgument(
        firstBin == Grid.index(min, level) && firstBin + length - 1 == Grid.index(max, level),
        "Bins %s..%s do not run from the bin of min=%s to the bin of max=%s at level %s",
        firstBin,
        firstBin + length - 1,
        min,
        max,
        level);
  }

  private static void checkAbsolute(
      int level, long firstBin, int length, float min, float max, long negInfCount) {
    double w = Grid.width(level);
    Checks.checkArgument(
        firstBin >= 0 && min >= 0 && negInfCount == 0,
        "An absolute histogram holds no negative values, got firstBin=%s, min=%s, -Inf=%s",
        firstBin,
        min,
        negInfCount);
    // Folding moves boundary values to the closed upper end, so both edges are inclusive here.
    Checks.checkArgument(
        min >= firstBin * w
            && min <= (firstBin + 1) * w
            && max >= (firstBin + length - 1) * w
            && max <= (firstBin + length) * w,
        "Min %s and max %s must lie in the first and last bins at level %s",
        min,
        max,
        level);
  }
}
