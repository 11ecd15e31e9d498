package io.octet.histogram;

import io.octet.util.Checks;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * Streams float32 values into an exact, mergeable histogram; {@link #snapshot()} gives the
 * canonical {@link Histogram}.
 *
 * <p>Any way of splitting the values into {@code add} calls, accumulators and merges yields a
 * snapshot equal, bit for bit, to a single accumulator that saw every value: counts are integers on
 * a power-of-two grid whose level depends only on the exact minimum and maximum (see {@link
 * Histogram}).
 *
 * <p>Each {@code add} call makes two passes over the caller's in-memory batch: a scan for the
 * batch's minimum, maximum and non-finite values, one adjustment of the grid so that the union fits
 * (raise the level, move the window), then a tight binning loop with no per-value level checks and
 * no allocation. Between calls the accumulator keeps a window of {@code numBins} bins that may be
 * wider than the occupied span; snapshots trim it. Memory is {@code 8 * numBins} bytes for the
 * window, allocated on the first finite value.
 *
 * <p>Not thread-safe: use one accumulator per task and merge. Serializable for Spark: it is written
 * as its (compact) snapshot and rebuilt on read.
 */
public final class HistogramAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Size of the scratch chunk used to read buffers that expose no array. */
  private static final int CHUNK = 8192;

  private final int numBins;

  /** Current grid level; canonical for the values seen so far. */
  private int level = Grid.MIN_LEVEL;

  /** {@code 2^-level}, cached for the binning loop. */
  private double inverseWidth = Grid.inverseWidth(Grid.MIN_LEVEL);

  /** Grid index of {@code window[0]}. */
  private long base;

  /** {@code numBins} counts starting at {@code base}; null until the first finite value. */
  private long[] window;

  private float min = Float.POSITIVE_INFINITY;
  private float max = Float.NEGATIVE_INFINITY;
  private long finiteCount;
  private long nanCount;
  private long posInfCount;
  private long negInfCount;

  /** Scratch for direct buffers; never serialized (the whole object is replaced on write). */
  private float[] scratch;

  /**
   * Creates an empty accumulator.
   *
   * @param numBins the bin budget B: a power of two in [{@value Histogram#MIN_BINS}, {@value
   *     Histogram#MAX_BINS}]; callers use {@value Histogram#DEFAULT_BINS} by default. More bins
   *     give finer resolution (bin width at least range / B) at 8 bytes per bin.
   * @throws IllegalArgumentException if {@code numBins} is not an accepted budget
   */
  public HistogramAccumulator(int numBins) {
    Histogram.checkNumBins(numBins);
    this.numBins = numBins;
  }

  /**
   * Creates an accumulator that continues from a signed histogram.
   *
   * @param histogram a signed (not {@linkplain Histogram#absolute() absolute}) histogram
   * @return an accumulator whose snapshot equals {@code histogram}
   * @throws IllegalArgumentException if the histogram is absolute
   */
  public static HistogramAccumulator from(Histogram histogram) {
    Checks.checkNotNull(histogram, "histogram");
    HistogramAccumulator acc = new HistogramAccumulator(histogram.numBins());
    acc.merge(histogram);
    return acc;
  }

  /**
   * Returns the bin budget.
   *
   * @return B, the most bins a snapshot holds
   */
  public int numBins() {
    return numBins;
  }

  /**
   * Returns the number of finite values added so far.
   *
   * @return the finite count
   */
  public long totalCount() {
    return finiteCount;
  }

  /**
   * Adds a batch of values. NaN and infinities are counted apart and not binned.
   *
   * @param values the batch; not modified
   * @param offset index of the first value to add
   * @param length how many values to add
   * @throws IndexOutOfBoundsException if the range is outside {@code values}
   */
  public void add(float[] values, int offset, int length) {
    Checks.checkNotNull(values, "values");
    Objects.checkFromIndexSize(offset, length, values.length);
    if (length == 0) {
      return;
    }
    int end = offset + length;
    // Pass 1: range of the batch. NaN fails both comparisons, infinities land in lo/hi; both are
    // rare, so they are only told apart when the cheap scan says something is not finite.
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    int nans = 0;
    for (int i = offset; i < end; i++) {
      float v = values[i];
      if (v < lo) {
        lo = v;
      }
      if (v > hi) {
        hi = v;
      }
      nans += v != v ? 1 : 0;
    }
    boolean allFinite = nans == 0 && lo != Float.NEGATIVE_INFINITY && hi != Float.POSITIVE_INFINITY;
    int finite = length;
    if (!allFinite) {
      lo = Float.POSITIVE_INFINITY;
      hi = Float.NEGATIVE_INFINITY;
      for (int i = offset; i < end; i++) {
        float v = values[i];
        if (v != v) {
          nanCount++;
          finite--;
        } else if (v == Float.POSITIVE_INFINITY) {
          posInfCount++;
          finite--;
        } else if (v == Float.NEGATIVE_INFINITY) {
          negInfCount++;
          finite--;
        } else {
          if (v < lo) {
            lo = v;
          }
          if (v > hi) {
            hi = v;
          }
        }
      }
      if (finite == 0) {
        return;
      }
    }
    // -0.0 + 0.0 == +0.0: the stored extremes must not depend on which zero came first.
    float newMin = Math.min(min, lo + 0.0f);
    float newMax = Math.max(max, hi + 0.0f);
    fit(newMin, newMax, level);

    // Pass 2: bin. x * 2^-level is exact in double, so floor() is the exact grid index.
    // Math.floor is an intrinsic here; a truncate-and-correct floor measured faster in an isolated
    // loop but 40% slower inside this method (JMH A/B on JDK 17), so it stays.
    final long[] w = window;
    final double s = inverseWidth;
    final long b = base;
    if (allFinite) {
      for (int i = offset; i < end; i++) {
        w[(int) ((long) Math.floor(values[i] * s) - b)]++;
      }
    } else {
      for (int i = offset; i < end; i++) {
        float v = values[i];
        if (Math.abs(v) <= Float.MAX_VALUE) {
          w[(int) ((long) Math.floor(v * s) - b)]++;
        }
      }
    }
    min = newMin;
    max = newMax;
    finiteCount += finite;
  }

  /**
   * Adds every remaining value of a buffer. The buffer's position, limit and mark are left as they
   * were (values are read with absolute gets), so the caller can reuse or re-read it.
   *
   * @param values the buffer; its {@code remaining()} values from {@code position()} are added
   */
  public void add(FloatBuffer values) {
    Checks.checkNotNull(values, "values");
    int position = values.position();
    int remaining = values.remaining();
    if (values.hasArray()) {
      add(values.array(), values.arrayOffset() + position, remaining);
      return;
    }
    // Direct or read-only buffer: copy through a small scratch array. Splitting a batch into
    // chunks changes nothing, because the result does not depend on how values are grouped.
    if (scratch == null) {
      scratch = new float[CHUNK];
    }
    for (int done = 0; done < remaining; done += CHUNK) {
      int n = Math.min(CHUNK, remaining - done);
      values.get(position + done, scratch, 0, n);
      add(scratch, 0, n);
    }
  }

  /**
   * Adds every value another accumulator has seen. {@code other} is not modified.
   *
   * @param other an accumulator with the same bin budget (may be this one, which doubles counts)
   * @throws IllegalArgumentException if the bin budgets differ
   */
  public void merge(HistogramAccumulator other) {
    Checks.checkNotNull(other, "other");
    checkSameBins(other.numBins);
    if (other == this) {
      merge(snapshot());
      return;
    }
    int offset = 0;
    int length = 0;
    if (other.finiteCount > 0) {
      long first = Grid.index(other.min, other.level);
      offset = (int) (first - other.base);
      length = (int) (Grid.index(other.max, other.level) - first + 1);
    }
    absorb(
        other.level,
        other.base + offset,
        other.window,
        offset,
        length,
        other.min,
        other.max,
        other.finiteCount,
        other.nanCount,
        other.posInfCount,
        other.negInfCount);
  }

  /**
   * Adds every value a signed histogram holds.
   *
   * @param other a signed histogram with the same bin budget
   * @throws IllegalArgumentException if the bin budgets differ or {@code other} is absolute
   */
  public void merge(Histogram other) {
    Checks.checkNotNull(other, "other");
    checkSameBins(other.numBins());
    Checks.checkArgument(
        !other.absolute(),
        "Cannot merge an absolute (|x|) histogram into an accumulator of signed values");
    long[] counts = other.isEmpty() ? null : other.counts();
    absorb(
        other.level(),
        other.firstBin(),
        counts,
        0,
        other.spanBins(),
        other.min(),
        other.max(),
        other.totalCount(),
        other.nanCount(),
        other.posInfCount(),
        other.negInfCount());
  }

  /**
   * Returns the canonical histogram of the values seen so far. The accumulator stays usable.
   *
   * @return an immutable histogram, trimmed to the occupied bins
   */
  public Histogram snapshot() {
    if (finiteCount == 0) {
      return new Histogram(
          numBins,
          Grid.MIN_LEVEL,
          0,
          new long[0],
          Float.POSITIVE_INFINITY,
          Float.NEGATIVE_INFINITY,
          0,
          nanCount,
          posInfCount,
          negInfCount,
          false);
    }
    long first = Grid.index(min, level);
    long last = Grid.index(max, level);
    long[] counts = new long[(int) (last - first + 1)];
    System.arraycopy(window, (int) (first - base), counts, 0, counts.length);
    return new Histogram(
        numBins,
        level,
        first,
        counts,
        min,
        max,
        finiteCount,
        nanCount,
        posInfCount,
        negInfCount,
        false);
  }

  private void checkSameBins(int otherBins) {
    Checks.checkArgument(
        otherBins == numBins,
        "Cannot merge histograms with different bin budgets: %s and %s",
        numBins,
        otherBins);
  }

  /** Adds canonical bins {@code src[srcOffset..]} at {@code srcLevel}, first index given. */
  private void absorb(
      int srcLevel,
      long srcFirstBin,
      long[] src,
      int srcOffset,
      int srcLength,
      float srcMin,
      float srcMax,
      long finite,
      long nans,
      long posInfs,
      long negInfs) {
    nanCount += nans;
    posInfCount += posInfs;
    negInfCount += negInfs;
    if (finite == 0) {
      return;
    }
    float newMin = Math.min(min, srcMin);
    float newMax = Math.max(max, srcMax);
    // Both sides' levels are canonical for their own values, hence at most the union's level.
    fit(newMin, newMax, Math.max(level, srcLevel));
    int shift = level - srcLevel;
    for (int t = 0; t < srcLength; t++) {
      long c = src[srcOffset + t];
      if (c != 0) {
        window[(int) (Grid.coarsen(srcFirstBin + t, shift) - base)] += c;
      }
    }
    min = newMin;
    max = newMax;
    finiteCount += finite;
  }

  /**
   * Makes the window cover {@code [newMin, newMax]} at the canonical level for that range, raising
   * the level (2:1 re-binning, exact) and moving the window as needed. Must be called before {@code
   * min}/{@code max} are updated: the old occupied range is read from them.
   */
  private void fit(float newMin, float newMax, int fromLevel) {
    int k = Grid.canonicalLevel(newMin, newMax, numBins, fromLevel);
    long first = Grid.index(newMin, k);
    long last = Grid.index(newMax, k);
    if (window != null && k == level && first >= base && last < base + numBins) {
      return;
    }
    // Centre the occupied span so the window can grow either way before the next move.
    long newBase = first - (numBins - (last - first + 1)) / 2;
    long[] fresh = new long[numBins];
    if (finiteCount > 0) {
      int shift = k - level;
      long oldFirst = Grid.index(min, level);
      long oldLast = Grid.index(max, level);
      for (long j = oldFirst; j <= oldLast; j++) {
        long c = window[(int) (j - base)];
        if (c != 0) {
          fresh[(int) (Grid.coarsen(j, shift) - newBase)] += c;
        }
      }
    }
    window = fresh;
    base = newBase;
    level = k;
    inverseWidth = Grid.inverseWidth(k);
  }

  private Object writeReplace() {
    return new SerializedForm(snapshot());
  }

  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("HistogramAccumulator is read through its serialized form");
  }

  /** Serialization proxy: the canonical snapshot, validated again when it is read. */
  private static final class SerializedForm implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Histogram histogram;

    SerializedForm(Histogram histogram) {
      this.histogram = histogram;
    }

    private Object readResolve() {
      return from(histogram);
    }
  }
}
