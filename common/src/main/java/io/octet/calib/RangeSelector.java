package io.octet.calib;

import io.octet.histogram.Histogram;
import io.octet.util.Checks;

/**
 * Chooses a tensor's clipping range from its histogram: {@code minmax}, {@code percentile}, {@code
 * entropy} (KL divergence) or {@code mse} (expected squared error).
 *
 * <p>All methods are deterministic functions of the canonical histogram, so the range is identical
 * however calibration was partitioned. Every result is finite and never wider than the data: within
 * {@code [min, max]}, or for symmetric options {@code [-T, T]} with {@code T <= max(|min|, |max|)}.
 * The range need not contain 0 ({@link QuantParams#fromRange} widens it).
 */
public final class RangeSelector {
  /** Above this many entropy candidates, thresholds are tried with a fixed stride. */
  static final int MAX_ENTROPY_CANDIDATES = 2048;

  /**
   * Floor for the quantized distribution where the reference distribution has mass, in counts.
   * TensorRT-style calibrators smooth zero bins with 1e-4; a floor keeps KL finite while still
   * charging for mass the candidate cannot represent.
   */
  static final double KL_FLOOR_COUNT = 1e-4;

  /** Rounds of coordinate descent over (lo, hi) for asymmetric MSE. */
  private static final int MSE_ROUNDS = 3;

  private RangeSelector() {}

  /**
   * Selects the clipping range of one tensor.
   *
   * <ul>
   *   <li>{@code minmax}: {@code [min, max]}; symmetric {@code [-a, a]} with {@code a = max(|min|,
   *       |max|)}.
   *   <li>{@code percentile} (p = percentile / 100): symmetric {@code [-a, a]} with {@code a} the
   *       p-quantile of |x|; asymmetric {@code [q((1 - p) / 2), q(1 - (1 - p) / 2)]}.
   *   <li>{@code entropy}: the KL-optimal threshold T on |x| (TensorRT-style search, detailed on
   *       the package-private {@code entropyThreshold}); symmetric {@code [-T, T]}, asymmetric
   *       {@code [max(min, -T), min(max, T)]}.
   *   <li>{@code mse}: the range minimizing the expected squared error, rounding error inside the
   *       range plus clipping error outside it (detailed on the package-private {@code mseRange}).
   * </ul>
   *
   * @param h the tensor's signed histogram
   * @param method the calibration method
   * @param options percentile, symmetry and integer type
   * @return the clipping range, in the tensor's units
   * @throws IllegalArgumentException if the histogram is empty (it saw no finite value) or is an
   *     absolute histogram
   */
  public static ClipRange select(Histogram h, CalibrationMethod method, RangeOptions options) {
    Checks.checkNotNull(h, "histogram");
    Checks.checkNotNull(method, "method");
    Checks.checkNotNull(options, "options");
    Checks.checkArgument(
        !h.absolute(), "Range selection needs the signed histogram, not its |x| fold");
    Checks.checkArgument(
        !h.isEmpty(),
        "Histogram has no finite values (NaN: %s, +Inf: %s, -Inf: %s), so no clipping range can"
            + " be selected",
        h.nanCount(),
        h.posInfCount(),
        h.negInfCount());
    switch (method) {
      case MINMAX:
        return options.symmetric() ? symmetric(absMax(h)) : new ClipRange(h.min(), h.max());
      case PERCENTILE:
        return percentile(h, options);
      case ENTROPY:
        float t = entropyThreshold(h, options);
        return options.symmetric()
            ? symmetric(t)
            : new ClipRange(Math.max(h.min(), -t), Math.min(h.max(), t));
      case MSE:
        return mseRange(h, options);
      default:
        throw new IllegalArgumentException("Unknown calibration method: " + method);
    }
  }

  private static float absMax(Histogram h) {
    return Math.max(-h.min(), h.max());
  }

  private static ClipRange symmetric(float a) {
    return new ClipRange(-a, a);
  }

  private static ClipRange percentile(Histogram h, RangeOptions o) {
    double p = o.percentile() / 100.0;
    if (o.symmetric()) {
      return symmetric((float) h.foldAbsolute().quantile(p));
    }
    double tail = (1 - p) / 2;
    // Quantiles lie in [min, max]; min and max are floats, so rounding to float stays inside.
    return new ClipRange((float) h.quantile(tail), (float) h.quantile(1 - tail));
  }

  /**
   * Number of quantization levels on the side of 0 that the entropy search models: 127 when
   * symmetric (int8 [-127, 127]; uint8's 127.5 steps per side rounded down), 255 for asymmetric
   * quantization of a non-negative tensor (the whole 8-bit range covers [0, T]), and 128 for
   * asymmetric quantization of a signed tensor (half of the 256 codes per side, the same split
   * TensorRT assumes).
   */
  static int entropyLevels(Histogram h, RangeOptions o) {
    if (o.symmetric()) {
      return 127;
    }
    return h.min() >= 0 ? 255 : 128;
  }

  /**
   * Returns the threshold T on |x| that minimizes KL(p || q), TensorRT's entropy calibration.
   *
   * <p>The |x| histogram is taken from grid bin 0 (the quantization grid starts at 0) and coarsened
   * 2:1 until it has at most {@code numBins} bins. For each candidate i from nq (the number of
   * levels, {@link #entropyLevels}) to the number of bins, every bin when there are at most {@value
   * #MAX_ENTROPY_CANDIDATES} candidates and a fixed stride (always ending with the last bin)
   * otherwise:
   *
   * <ul>
   *   <li>p is the first i bins with all mass beyond them added to bin i - 1 (what clipping at the
   *       bin's upper edge does);
   *   <li>q splits the first i bins into nq contiguous groups of near-equal width, and spreads each
   *       group's in-range count evenly over the group's bins where p is non-zero. q is built from
   *       the in-range counts, without the clipped mass: built from p, q would equal p at i = nq
   *       and the search would always pick the smallest threshold;
   *   <li>where p has mass and q has none, q is floored at {@value #KL_FLOOR_COUNT} counts.
   * </ul>
   *
   * <p>Because q is uniform within a group, KL needs only per-group sums, which prefix sums give in
   * O(1): each candidate costs O(nq). The threshold is the upper edge of the first candidate with
   * the smallest KL, capped at {@code max|x|}; with no more bins than levels it is {@code max|x|}.
   *
   * <p>The first bin (which holds exact zeros) is left out of p and q: zero is exact in any range,
   * and a ReLU spike of zeros would otherwise pull every KL calibrator to a narrow range (about 2
   * sigma for a rectified Gaussian).
   */
  static float entropyThreshold(Histogram h, RangeOptions o) {
    Histogram abs = h.foldAbsolute();
    float absMax = abs.max();
    int nq = entropyLevels(h, o);
    // Re-grid from bin 0 and coarsen until at most numBins bins (only data far from 0 needs it).
    int shift = 0;
    while ((abs.lastBin() >> shift) + 1 > abs.numBins()) {
      shift++;
    }
    int n = (int) ((abs.lastBin() >> shift) + 1);
    if (n <= nq) {
      return absMax;
    }
    long[] c = new long[n];
    for (int i = 0; i < abs.spanBins(); i++) {
      c[(int) ((abs.firstBin() + i) >> shift)] += abs.count(i);
    }
    // The first bin holds the exact zeros (ReLU outputs, padding, masked attention). Zero is
    // exactly representable whatever the range (the zero point), so those values lose nothing to
    // quantization; left in, their spike shares the first quantized level with its neighbours and
    // drags the KL optimum down to a narrow range that clips real signal. Leave them out.
    c[0] = 0;
    if (java.util.Arrays.stream(c).allMatch(x -> x == 0)) {
      return absMax;
    }
    double width = abs.binWidth() * Math.scalb(1.0, shift);

    double total = java.util.Arrays.stream(c).sum();
    long[] cum = new long[n + 1];
    int[] nonZero = new int[n + 1];
    double[] cLogC = new double[n + 1];
    for (int j = 0; j < n; j++) {
      cum[j + 1] = cum[j] + c[j];
      nonZero[j + 1] = nonZero[j] + (c[j] != 0 ? 1 : 0);
      cLogC[j + 1] = cLogC[j] + xLogX(c[j]);
    }
    double logTotal = Math.log(total);
    double floor = KL_FLOOR_COUNT / total;

    int candidates = n - nq + 1;
    int stride = (candidates + MAX_ENTROPY_CANDIDATES - 1) / MAX_ENTROPY_CANDIDATES;
    int best = n;
    double bestKl = Double.POSITIVE_INFINITY;
    for (int i = nq; ; i = Math.min(n, i + stride)) {
      long outliers = cum[n] - cum[i];
      long inRange = cum[i];
      long lastP = c[i - 1] + outliers;
      // sum p ln p, with p = counts / total.
      double plogp = (cLogC[i - 1] + xLogX(lastP)) / total - logTotal;
      double plogq = 0;
      for (int g = 0; g < nq; g++) {
        int a = (int) ((long) g * i / nq);
        int b = (int) ((long) (g + 1) * i / nq);
        long groupCount = cum[b] - cum[a];
        long groupP = groupCount;
        int groupNonZero = nonZero[b] - nonZero[a];
        if (g == nq - 1 && outliers > 0) {
          groupP += outliers;
          if (c[i - 1] == 0) {
            groupNonZero++;
          }
        }
        if (groupP == 0) {
          continue;
        }
        double q = groupCount == 0 ? 0 : groupCount / ((double) groupNonZero * inRange);
        plogq += groupP / total * Math.log(Math.max(q, floor));
      }
      double kl = plogp - plogq;
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
      if (i == n) {
        break;
      }
    }
    return (float) Math.min(absMax, best * width);
  }

  private static double xLogX(long x) {
    return x == 0 ? 0 : x * Math.log(x);
  }

  /**
   * Returns the range minimizing the expected squared quantization error.
   *
   * <p>The error of a value is approximated at its bin centre x: inside the range it is the
   * rounding error of a uniform grid, {@code step^2 / 12}, where the step is the range (widened to
   * contain 0) divided by the number of integer steps of the type; outside it is the clipping error
   * {@code (x - bound)^2}. The expected error is the count-weighted sum over bins; prefix sums of
   * count, count * x and count * x^2 make each candidate O(1).
   *
   * <p>Symmetric: candidates T are the upper edges of the |x| histogram's bins (the last one is
   * {@code max|x|} itself), with step {@code 2T / (symmetricQmax - symmetricQmin)}. Asymmetric:
   * coordinate descent from {@code [min, max]}, alternately choosing hi over upper bin edges with
   * lo fixed and lo over lower bin edges with hi fixed ({@value #MSE_ROUNDS} rounds, or fewer when
   * nothing moves); bounds stay on their side of 0 because the quantizer includes 0 anyway. Ties
   * keep the smallest threshold, so the result is deterministic.
   */
  static ClipRange mseRange(Histogram h, RangeOptions o) {
    QuantType type = o.type();
    if (o.symmetric()) {
      Histogram abs = h.foldAbsolute();
      int n = abs.spanBins();
      double w = abs.binWidth();
      double first = abs.firstBin();
      double steps = type.symmetricQmax() - type.symmetricQmin();
      double maxRel = abs.max() / w - first;
      Moments m = new Moments(abs);
      int best = n - 1;
      double bestCost = Double.POSITIVE_INFINITY;
      for (int t = 0; t < n; t++) {
        double bound = t == n - 1 ? maxRel : t + 1;
        double step = 2 * (first + bound) / steps;
        double cost = step * step / 12 * m.count(0, t + 1) + m.clipError(t + 1, n, bound);
        if (cost < bestCost) {
          bestCost = cost;
          best = t;
        }
      }
      float a = best == n - 1 ? abs.max() : (float) ((first + best + 1) * w);
      return symmetric(a);
    }

    int n = h.spanBins();
    double w = h.binWidth();
    double first = h.firstBin();
    double steps = type.qmax() - type.qmin();
    double zero = -first;
    double minRel = h.min() / w - first;
    double maxRel = h.max() / w - first;
    Moments m = new Moments(h);
    int s = 0;
    int t = n - 1;
    for (int round = 0; round < MSE_ROUNDS; round++) {
      int oldS = s;
      int oldT = t;
      // hi over upper edges of bins s..n-1 that are >= 0 (the last bin's bound is max itself).
      double lo = s == 0 ? minRel : s;
      int bestT = t;
      double bestCost = Double.POSITIVE_INFINITY;
      for (int cand = s; cand < n; cand++) {
        double hi = cand == n - 1 ? maxRel : cand + 1;
        if (hi < zero && cand != n - 1) {
          continue;
        }
        double cost = asymmetricCost(m, n, s, cand, lo, hi, zero, steps);
        if (cost < bestCost) {
          bestCost = cost;
          bestT = cand;
        }
      }
      t = bestT;
      // lo over lower edges of bins 0..t that are <= 0 (bin 0's bound is min itself).
      double hi = t == n - 1 ? maxRel : t + 1;
      int bestS = s;
      bestCost = Double.POSITIVE_INFINITY;
      for (int cand = t; cand >= 0; cand--) {
        double loCand = cand == 0 ? minRel : cand;
        if (loCand > zero && cand != 0) {
          continue;
        }
        double cost = asymmetricCost(m, n, cand, t, loCand, hi, zero, steps);
        if (cost < bestCost) {
          bestCost = cost;
          bestS = cand;
        }
      }
      s = bestS;
      if (s == oldS && t == oldT) {
        break;
      }
    }
    float lo = s == 0 ? h.min() : (float) ((first + s) * w);
    float hi = t == n - 1 ? h.max() : (float) ((first + t + 1) * w);
    return new ClipRange(lo, hi);
  }

  /** Expected squared error (in squared bin widths) with bins s..t inside [lo, hi]. */
  private static double asymmetricCost(
      Moments m, int n, int s, int t, double lo, double hi, double zero, double steps) {
    double step = (Math.max(hi, zero) - Math.min(lo, zero)) / steps;
    return step * step / 12 * m.count(s, t + 1) + m.clipError(0, s, lo) + m.clipError(t + 1, n, hi);
  }

  /**
   * Prefix sums of count, count * x and count * x^2 over a histogram's stored bins, with x the bin
   * centre measured in bin widths from the first stored bin's lower edge. Measuring from there
   * keeps the numbers small (below 65,536) however far the data sit from 0, so the expanded squares
   * do not cancel catastrophically.
   */
  private static final class Moments {
    private final double[] c0;
    private final double[] c1;
    private final double[] c2;

    Moments(Histogram h) {
      int n = h.spanBins();
      c0 = new double[n + 1];
      c1 = new double[n + 1];
      c2 = new double[n + 1];
      for (int j = 0; j < n; j++) {
        double c = h.count(j);
        double x = j + 0.5;
        c0[j + 1] = c0[j] + c;
        c1[j + 1] = c1[j] + c * x;
        c2[j + 1] = c2[j] + c * x * x;
      }
    }

    /** Count of bins [from, to). */
    double count(int from, int to) {
      return c0[to] - c0[from];
    }

    /**
     * Sum over bins [from, to) of count * (x - bound)^2: the clipping error of bins that lie beyond
     * {@code bound} (above or below it).
     */
    double clipError(int from, int to, double bound) {
      if (from >= to) {
        return 0;
      }
      double s0 = c0[to] - c0[from];
      double s1 = c1[to] - c1[from];
      double s2 = c2[to] - c2[from];
      return Math.max(0, s2 - 2 * bound * s1 + bound * bound * s0);
    }
  }
}
