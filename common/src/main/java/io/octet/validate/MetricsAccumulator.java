package io.octet.validate;

import java.io.Serializable;
import java.math.BigDecimal;

/**
 * Mergeable FP32-versus-INT8 statistics over rows.
 *
 * <p>Every per-row figure is computed within the row (deterministic), and sums across rows are kept
 * as exact {@link BigDecimal}s, so merging partitions in any order gives bit-identical metrics;
 * minima, maxima and counts are exact by nature.
 */
public final class MetricsAccumulator implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int topK;
  private long rows;
  private BigDecimal cosineSum = BigDecimal.ZERO;
  private double minCosine = Double.POSITIVE_INFINITY;
  private BigDecimal signalSum = BigDecimal.ZERO;
  private BigDecimal noiseSum = BigDecimal.ZERO;
  private double maxAbsError;
  private long top1Agree;
  private long topKAgree;
  private long labeled;
  private long labelsOutOfRange;
  private long fp32Correct;
  private long int8Correct;
  private long nonFinite;

  /**
   * Creates an empty accumulator.
   *
   * @param topK k for the top-k agreement (the FP32 top-1 class is within INT8's top k)
   */
  public MetricsAccumulator(int topK) {
    if (topK < 1) {
      throw new IllegalArgumentException("top-k must be >= 1, got " + topK);
    }
    this.topK = topK;
  }

  /**
   * Adds one row.
   *
   * @param fp32 the reference output row (pooled if configured)
   * @param int8 the quantized output row, same length
   * @param label the row's class label, or -1
   */
  public void add(float[] fp32, float[] int8, int label) {
    if (fp32.length != int8.length) {
      throw new IllegalArgumentException(
          "FP32 and INT8 outputs differ in length: " + fp32.length + " vs " + int8.length);
    }
    double dot = 0;
    double na = 0;
    double nb = 0;
    double noise = 0;
    double maxErr = 0;
    boolean finite = true;
    for (int i = 0; i < fp32.length; i++) {
      double a = fp32[i];
      double b = int8[i];
      // A NaN/Inf on either side makes the row's figures meaningless (and would poison the exact
      // sums: BigDecimal has no NaN), so such a row is only counted.
      if (!Double.isFinite(a) || !Double.isFinite(b)) {
        finite = false;
      }
      dot += a * b;
      na += a * a;
      nb += b * b;
      double d = a - b;
      noise += d * d;
      maxErr = Math.max(maxErr, Math.abs(d));
    }
    rows++;
    if (!finite) {
      nonFinite++;
      minCosine = Math.min(minCosine, -1);
      return;
    }
    double cos = (na == 0 || nb == 0) ? (na == nb ? 1.0 : 0.0) : dot / Math.sqrt(na * nb);
    cosineSum = cosineSum.add(new BigDecimal(cos));
    minCosine = Math.min(minCosine, cos);
    signalSum = signalSum.add(new BigDecimal(na));
    noiseSum = noiseSum.add(new BigDecimal(noise));
    maxAbsError = Math.max(maxAbsError, maxErr);
    int ref = argmax(fp32);
    if (ref == argmax(int8)) {
      top1Agree++;
    }
    if (rankOf(int8, ref) < topK) {
      topKAgree++;
    }
    if (label >= fp32.length) {
      labelsOutOfRange++;
    }
    if (label >= 0) {
      labeled++;
      if (ref == label) {
        fp32Correct++;
      }
      if (argmax(int8) == label) {
        int8Correct++;
      }
    }
  }

  /**
   * Adds another accumulator's rows to this one.
   *
   * @param o the other accumulator (same top-k)
   */
  public void merge(MetricsAccumulator o) {
    if (o.topK != topK) {
      throw new IllegalArgumentException("Cannot merge top-" + topK + " with top-" + o.topK);
    }
    rows += o.rows;
    cosineSum = cosineSum.add(o.cosineSum);
    minCosine = Math.min(minCosine, o.minCosine);
    signalSum = signalSum.add(o.signalSum);
    noiseSum = noiseSum.add(o.noiseSum);
    maxAbsError = Math.max(maxAbsError, o.maxAbsError);
    top1Agree += o.top1Agree;
    topKAgree += o.topKAgree;
    labeled += o.labeled;
    fp32Correct += o.fp32Correct;
    int8Correct += o.int8Correct;
    nonFinite += o.nonFinite;
    labelsOutOfRange += o.labelsOutOfRange;
  }

  /**
   * Labelled rows whose label is no index of the output row (a label of 99 for 10 classes): the
   * labels or the compared output are wrong.
   *
   * @return how many
   */
  public long labelsOutOfRange() {
    return labelsOutOfRange;
  }

  /**
   * Returns the metrics so far.
   *
   * @return the metrics (NaN where undefined, e.g. accuracy without labels)
   */
  public ValidationMetrics result() {
    long finiteRows = rows - nonFinite;
    double meanCos =
        finiteRows == 0
            ? Double.NaN
            : cosineSum
                .divide(BigDecimal.valueOf(finiteRows), java.math.MathContext.DECIMAL128)
                .doubleValue();
    double sqnr =
        noiseSum.signum() == 0
            ? Double.POSITIVE_INFINITY
            : 10 * Math.log10(signalSum.doubleValue() / noiseSum.doubleValue());
    return new ValidationMetrics(
        rows,
        meanCos,
        rows == 0 ? Double.NaN : minCosine,
        finiteRows == 0 ? Double.NaN : sqnr,
        maxAbsError,
        finiteRows == 0 ? Double.NaN : (double) top1Agree / finiteRows,
        finiteRows == 0 ? Double.NaN : (double) topKAgree / finiteRows,
        topK,
        labeled == 0 ? Double.NaN : (double) fp32Correct / labeled,
        labeled == 0 ? Double.NaN : (double) int8Correct / labeled,
        labeled,
        nonFinite);
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  /** How many entries are strictly greater than v[idx] (0 = it is the top-1). */
  private static int rankOf(float[] v, int idx) {
    int r = 0;
    for (float x : v) {
      if (x > v[idx]) {
        r++;
      }
    }
    return r;
  }
}
