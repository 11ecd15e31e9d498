package io.octet.report;

import io.octet.calib.CalibrationTable.TensorCalibration;
import io.octet.histogram.Histogram;

/**
 * Draws a calibrated tensor's histogram as SVG, with the chosen clipping range on it.
 *
 * <p>Stored histograms have up to 65,536 bins; the plot merges aligned groups of 2^m adjacent bins
 * (exact on the power-of-two grid) until at most {@code maxBars} remain. Counts use a log10 axis by
 * default: activations after Relu hold a spike at 0 that is orders of magnitude above the tails.
 * The chosen clipping range's ends are drawn as dashed lines; the regions that saturate (outside
 * the representable range of the stored scale and zero point, which always holds 0) are shaded.
 */
final class HistogramPlot {
  /** Width on a model page (two plots side by side on a wide screen). */
  static final double WIDTH = 600;

  /** Width on the run page (three plots side by side). */
  static final double COMPACT_WIDTH = 400;

  static final double HEIGHT = 220;
  static final double LEFT = 56;
  static final double RIGHT = 16;
  static final double TOP = 24;
  static final double BOTTOM = 38;

  /** Counts drawn from this value up, so that a bin holding one value still shows. */
  static final double LOG_FLOOR = 0.5;

  private HistogramPlot() {}

  /**
   * What the plot draws: the axes and the merged bins.
   *
   * @param x value to pixel
   * @param y count to pixel
   * @param firstBin grid index of {@code counts[0]} at the merged width
   * @param binWidth merged bin width
   * @param counts merged counts
   */
  record Geometry(Scale x, Scale y, long firstBin, double binWidth, long[] counts) {}

  /**
   * Computes the plot geometry for the part of a histogram between two values.
   *
   * @param h the histogram (not empty)
   * @param lo the lowest value the plot must show (clipping range or representable range)
   * @param hi the highest value the plot must show
   * @param maxBars most bars to draw
   * @param logY log10 counts
   * @param width the plot's width in pixels
   * @return the geometry
   */
  static Geometry geometry(
      Histogram h, double lo, double hi, int maxBars, boolean logY, double width) {
    long factor = 1;
    while ((h.spanBins() + factor - 1) / factor + 1 > maxBars) {
      factor *= 2;
    }
    long first = Math.floorDiv(h.firstBin(), factor);
    long last = Math.floorDiv(h.lastBin(), factor);
    long[] counts = new long[Math.toIntExact(last - first + 1)];
    for (int i = 0; i < h.spanBins(); i++) {
      counts[(int) (Math.floorDiv(h.firstBin() + i, factor) - first)] += h.count(i);
    }
    double w = h.binWidth() * factor;
    double x0 = Math.min(first * w, lo);
    double x1 = Math.max((last + 1) * w, hi);
    double pad = (x1 - x0) * 0.02;
    Scale x = Scale.linear(x0 - pad, x1 + pad, LEFT, width - RIGHT);
    long max = 1;
    for (long c : counts) {
      max = Math.max(max, c);
    }
    double bottom = HEIGHT - BOTTOM;
    Scale y =
        logY
            ? Scale.log10(LOG_FLOOR, Math.max(10, max) * 1.5, bottom, TOP)
            : Scale.linear(0, max * 1.05, bottom, TOP);
    return new Geometry(x, y, first, w, counts);
  }

  /**
   * Renders the plot.
   *
   * @param t the tensor's calibration
   * @param view the tensor's derived figures
   * @param maxBars most bars to draw
   * @param width the plot's width in pixels
   * @return SVG markup
   */
  static String render(TensorCalibration t, TensorView view, int maxBars, double width) {
    Histogram h = t.histogram();
    String title = title(t, view);
    if (h.isEmpty()) {
      return new Svg("hist empty", width, 60, title, "The histogram holds no finite value.")
          .text(width / 2, 34, "No finite values were observed", "note", "middle")
          .close();
    }
    double lo = t.range().lo();
    double hi = t.range().hi();
    // Shade what actually saturates: the representable range, which always holds 0.
    double effLo = t.params().representableMin();
    double effHi = t.params().representableMax();
    Geometry g = geometry(h, Math.min(lo, effLo), Math.max(hi, effHi), maxBars, true, width);
    Svg s =
        new Svg(
            "hist",
            width,
            HEIGHT,
            title,
            "Bars: number of values per bin on a log scale. Shaded: values outside the clipping"
                + " range, which quantization saturates. Dashed lines: the clipping range.");
    double top = TOP;
    double bottom = HEIGHT - BOTTOM;
    double left = LEFT;
    double right = width - RIGHT;
    // Clipped zones behind the bars.
    double xl = g.x().mapClamped(lo);
    double xh = g.x().mapClamped(hi);
    double zl = g.x().mapClamped(effLo);
    double zh = g.x().mapClamped(effHi);
    s.rect(left, top, zl - left, bottom - top, "clip-zone");
    s.rect(zh, top, right - zh, bottom - top, "clip-zone");
    Axes.yLog(s, g.y(), left, right, "count (log)");
    Axes.x(s, g.x(), top, bottom, "value");
    if (g.x().domainMin() < 0 && g.x().domainMax() > 0) {
      s.line(g.x().map(0), top, g.x().map(0), bottom, "zero");
    }
    s.path(bars(g, bottom), "bars");
    s.line(xl, top - 4, xl, bottom, "clip clip-lo");
    s.line(xh, top - 4, xh, bottom, "clip clip-hi");
    clipLabels(s, xl, xh, width, "lo " + Html.sig(lo), "hi " + Html.sig(hi));
    return s.close();
  }

  /**
   * Labels the clipping lines: "lo" left of its line and "hi" right of its line, turned inward at
   * the chart's edges, and "hi" one row lower when the two would overlap.
   */
  static void clipLabels(Svg s, double xl, double xh, double width, String loText, String hiText) {
    double charWidth = 6.2;
    double wl = loText.length() * charWidth;
    double wh = hiText.length() * charWidth;
    // Each label as [start, end] in pixels, with its anchor.
    boolean loLeft = xl - 3 - wl >= 2;
    double l0 = loLeft ? xl - 3 - wl : xl + 3;
    boolean hiRight = xh + 3 + wh <= width - 2;
    double h0 = hiRight ? xh + 3 : xh - 3 - wh;
    double rowY = TOP - 8;
    s.text(loLeft ? xl - 3 : xl + 3, rowY, loText, "clip-label", loLeft ? "end" : "start");
    boolean overlap = h0 < l0 + wl + 4 && l0 < h0 + wh + 4;
    s.text(
        hiRight ? xh + 3 : xh - 3,
        overlap ? rowY + 14 : rowY,
        hiText,
        "clip-label",
        hiRight ? "start" : "end");
  }

  /** One closed sub-path per occupied bin: a single element however many bars. */
  static String bars(Geometry g, double bottom) {
    StringBuilder d = new StringBuilder();
    long[] c = g.counts();
    for (int i = 0; i < c.length; i++) {
      if (c[i] == 0) {
        continue;
      }
      double x0 = g.x().map((g.firstBin() + i) * g.binWidth());
      double x1 = g.x().map((g.firstBin() + i + 1) * g.binWidth());
      if (x1 - x0 < 1) {
        double mid = (x0 + x1) / 2;
        x0 = mid - 0.5;
        x1 = mid + 0.5;
      }
      double y = g.y().map(c[i]);
      d.append('M')
          .append(Svg.n(x0))
          .append(',')
          .append(Svg.n(bottom))
          .append('V')
          .append(Svg.n(y))
          .append('H')
          .append(Svg.n(x1))
          .append('V')
          .append(Svg.n(bottom))
          .append('Z');
    }
    return d.toString();
  }

  static String title(TensorCalibration t, TensorView v) {
    Histogram h = t.histogram();
    return "Histogram of "
        + t.tensor()
        + ": "
        + h.totalCount()
        + " values from "
        + Html.sig(h.min())
        + " to "
        + Html.sig(h.max())
        + "; clipping range ["
        + Html.sig(t.range().lo())
        + ", "
        + Html.sig(t.range().hi())
        + "] by "
        + t.method().configName()
        + ", "
        + Html.pct(v.clippedFraction(), 3)
        + " of values clipped";
  }
}
