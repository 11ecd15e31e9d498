package io.octet.report;

import io.octet.calib.CalibrationTable;
import io.octet.calib.CalibrationTable.TensorCalibration;
import io.octet.histogram.Histogram;
import io.octet.report.ModelResult.NodeSqnr;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One calibrated tensor as the report shows it: its calibration plus figures derived from the
 * histogram, and the measured SQNR of the node that produces it when there is one.
 *
 * <p>Clipping is judged against the representable range of the stored scale and zero point, which
 * always holds 0 (a range chosen as [0.3, 0.9] clips nothing between 0 and 0.3). The noise
 * estimates treat values as spread evenly within each histogram bin: rounding noise is {@code
 * scale²/12} per value inside that range, clipping noise the mean squared distance to the nearer
 * edge for values outside it. They are what the MSE method minimizes, so they show how well the
 * chosen range fits the data, independently of the rest of the network.
 *
 * @param order the tensor's position in the table (graph order)
 * @param calibration the tensor's calibration
 * @param clippedBelow share of values below the clipping range, in [0, 1]
 * @param clippedAbove share of values above the clipping range, in [0, 1]
 * @param signalPower mean of x² over the histogram
 * @param roundingNoise mean squared rounding error, per value
 * @param clippingNoise mean squared clipping error, per value
 * @param nodeSqnrDb measured SQNR of the node whose output this tensor is, or NaN
 */
record TensorView(
    int order,
    TensorCalibration calibration,
    double clippedBelow,
    double clippedAbove,
    double signalPower,
    double roundingNoise,
    double clippingNoise,
    double nodeSqnrDb) {

  String name() {
    return calibration.tensor();
  }

  double clippedFraction() {
    return clippedBelow + clippedAbove;
  }

  /** Estimated SQNR in dB from the histogram; +Inf without noise, NaN without signal. */
  double estimatedSqnrDb() {
    double noise = roundingNoise + clippingNoise;
    if (!(signalPower > 0)) {
      return Double.NaN;
    }
    return noise > 0 ? 10 * Math.log10(signalPower / noise) : Double.POSITIVE_INFINITY;
  }

  /**
   * Builds the views of a table's tensors, worst first.
   *
   * <p>Order: tensors with a measured node SQNR first, lowest SQNR first; then the others by
   * clipped share, largest first; ties by estimated SQNR (lowest first), then graph order. Without
   * any node SQNR this is simply "most clipped first".
   *
   * @param table the calibration table
   * @param nodes measured node SQNRs (may be empty)
   * @return the views, worst first
   */
  static List<TensorView> ranked(CalibrationTable table, List<NodeSqnr> nodes) {
    Map<String, Double> byOutput = new HashMap<>();
    for (NodeSqnr n : nodes) {
      if (n.output() != null && Double.isFinite(n.sqnrDb())) {
        byOutput.merge(n.output(), n.sqnrDb(), Math::min);
      }
    }
    List<TensorView> out = new ArrayList<>();
    int i = 0;
    for (TensorCalibration t : table.tensors().values()) {
      out.add(of(i++, t, byOutput.getOrDefault(t.tensor(), Double.NaN)));
    }
    out.sort(WORST_FIRST);
    return out;
  }

  static final Comparator<TensorView> WORST_FIRST =
      Comparator.comparing((TensorView v) -> Double.isNaN(v.nodeSqnrDb()))
          .thenComparingDouble(v -> Double.isNaN(v.nodeSqnrDb()) ? 0 : v.nodeSqnrDb())
          .thenComparingDouble(v -> -v.clippedFraction())
          .thenComparingDouble(v -> orInf(v.estimatedSqnrDb()))
          .thenComparingInt(TensorView::order);

  private static double orInf(double v) {
    return Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
  }

  /** Derives the figures of one tensor. */
  static TensorView of(int order, TensorCalibration t, double nodeSqnrDb) {
    Histogram h = t.histogram();
    // What saturates is decided by the stored scale and zero point, not the chosen range: the
    // representable range always holds 0 and moves by the zero point's rounding.
    double lo = t.params().representableMin();
    double hi = t.params().representableMax();
    double step = t.params().scale();
    double below = 0;
    double above = 0;
    double signal = 0;
    double rounding = 0;
    double clipping = 0;
    for (int i = 0; i < h.spanBins(); i++) {
      long c = h.count(i);
      if (c == 0) {
        continue;
      }
      // The part of the bin the data can occupy.
      double a = Math.max(h.binLow(i), h.min());
      double b = Math.min(h.binHigh(i), h.max());
      if (b < a) {
        b = a;
      }
      signal += c * meanSquare(a, b);
      double under = share(a, b, Double.NEGATIVE_INFINITY, lo);
      double over = share(a, b, hi, Double.POSITIVE_INFINITY);
      below += c * under;
      above += c * over;
      rounding += c * (1 - under - over) * step * step / 12.0;
      if (under > 0) {
        clipping += c * under * meanSquareDistance(a, Math.min(b, lo), lo);
      }
      if (over > 0) {
        clipping += c * over * meanSquareDistance(Math.max(a, hi), b, hi);
      }
    }
    double n = Math.max(1, h.totalCount());
    return new TensorView(
        order, t, below / n, above / n, signal / n, rounding / n, clipping / n, nodeSqnrDb);
  }

  /** Mean of x² for x uniform on [a, b]. */
  static double meanSquare(double a, double b) {
    return (a * a + a * b + b * b) / 3.0;
  }

  /** Mean of (x − e)² for x uniform on [a, b]. */
  static double meanSquareDistance(double a, double b, double e) {
    return meanSquare(a - e, b - e);
  }

  /** Share of a uniform [a, b] that lies strictly inside (lo, hi); a point bin counts whole. */
  private static double share(double a, double b, double lo, double hi) {
    if (b == a) {
      return a < hi && a > lo ? 1 : 0;
    }
    double x0 = Math.max(a, lo);
    double x1 = Math.min(b, hi);
    return x1 > x0 ? (x1 - x0) / (b - a) : 0;
  }
}
