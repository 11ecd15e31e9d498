package io.octet.report;

import io.octet.calib.CalibrationTable.TensorCalibration;
import io.octet.histogram.Histogram;
import io.octet.report.BarChart.Bar;
import io.octet.report.BarChart.Legend;
import io.octet.report.ModelResult.NodeSqnr;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The parts of a model's report about where quantization error comes from. */
final class QualityParts {
  /** Node SQNR below this is drawn red. */
  static final double POOR_DB = 15;

  /** Node SQNR below this (and at least {@link #POOR_DB}) is drawn amber. */
  static final double FAIR_DB = 25;

  private QualityParts() {}

  /** Bar chart and table of per-node SQNR, or a note when it was not measured. */
  static String nodeSensitivity(ModelResult m, ReportOptions o) {
    List<NodeSqnr> nodes = m.nodeSqnr();
    if (nodes.isEmpty()) {
      return "<p class=\"note\">Per-node SQNR was not measured in this run"
          + " (<code>validation.node-sqnr</code>).</p>";
    }
    List<NodeSqnr> worst = new ArrayList<>(nodes);
    worst.sort(Comparator.comparingDouble(n -> Double.isNaN(n.sqnrDb()) ? 1e300 : n.sqnrDb()));
    boolean all = nodes.size() <= o.maxBars();
    List<NodeSqnr> shown = all ? nodes : worst.subList(0, o.maxBars());
    List<Bar> bars = new ArrayList<>();
    for (NodeSqnr n : shown) {
      String name = n.node() == null || n.node().isEmpty() ? n.output() : n.node();
      String v = Html.num(n.sqnrDb(), 1) + " dB";
      bars.add(
          new Bar(
              name,
              new double[] {Double.isFinite(n.sqnrDb()) ? n.sqnrDb() : 0},
              new String[] {sqnrClass(n.sqnrDb())},
              v,
              name + " (" + n.op() + "): " + v));
    }
    String title =
        "SQNR of each quantized node's output, "
            + (all ? "in graph order" : "the " + shown.size() + " worst of " + nodes.size());
    String chart =
        BarChart.render(
            new BarChart.Spec(
                "bars node-sqnr",
                title,
                "Higher is better. Red below 15 dB, amber below 25 dB.",
                "SQNR (dB), FP32 vs INT8 output",
                bars,
                List.of(
                    new Legend("sq-poor", "< 15 dB"),
                    new Legend("sq-fair", "15–25 dB"),
                    new Legend("sq-good", "≥ 25 dB")),
                Double.NaN,
                ""));
    return "<p class=\"note\">"
        + Html.esc(title)
        + ": how far each node's output moves when the model runs in INT8, measured on the"
        + " validation rows. Errors add up along the graph, so a sudden drop points at the node"
        + " that hurts.</p>"
        + chart
        + nodeTable(worst);
  }

  static String sqnrClass(double db) {
    return !(db >= POOR_DB) ? "sq-poor" : db < FAIR_DB ? "sq-fair" : "sq-good";
  }

  private static String nodeTable(List<NodeSqnr> worst) {
    StringBuilder b = new StringBuilder("<details><summary>All ");
    b.append(worst.size()).append(" nodes, worst first</summary><div class=\"body wrap\"><table>");
    b.append("<thead><tr><th class=\"num\">#</th><th>Node</th><th>Op</th><th>Output</th>");
    b.append("<th class=\"num\">SQNR (dB)</th></tr></thead><tbody>");
    int i = 1;
    for (NodeSqnr n : worst) {
      b.append("<tr><td class=\"num\">").append(i++).append("</td><td class=\"name\"><code>");
      b.append(Html.esc(n.node())).append("</code></td><td>").append(Html.esc(n.op()));
      b.append("</td><td class=\"name\"><code>").append(Html.esc(n.output()));
      b.append("</code></td><td class=\"num\">")
          .append(Html.num(n.sqnrDb(), 2))
          .append("</td></tr>");
    }
    return b.append("</tbody></table></div></details>").toString();
  }

  /** Stacked bars of each tensor's estimated rounding and clipping noise. */
  static String layerError(List<TensorView> ranked, ReportOptions o) {
    if (ranked.isEmpty()) {
      return "<p class=\"note\">No tensor was calibrated.</p>";
    }
    List<TensorView> shown = new ArrayList<>(ranked);
    boolean all = ranked.size() <= o.maxBars();
    if (all) {
      shown.sort(Comparator.comparingInt(TensorView::order));
    } else {
      shown.sort(Comparator.comparingDouble(v -> -noiseShare(v)));
      shown = shown.subList(0, o.maxBars());
    }
    List<Bar> bars = new ArrayList<>();
    for (TensorView v : shown) {
      double s = v.signalPower() > 0 ? 100 / v.signalPower() : 0;
      String db = Html.num(v.estimatedSqnrDb(), 1) + " dB";
      bars.add(
          new Bar(
              v.name(),
              new double[] {v.roundingNoise() * s, v.clippingNoise() * s},
              new String[] {"rounding", "clipping"},
              db,
              v.name()
                  + ": rounding "
                  + Html.sig(v.roundingNoise() * s)
                  + "%, clipping "
                  + Html.sig(v.clippingNoise() * s)
                  + "% of signal power (estimated SQNR "
                  + db
                  + ")"));
    }
    String title =
        "Estimated quantization noise per calibrated tensor, "
            + (all ? "in graph order" : "the " + shown.size() + " noisiest of " + ranked.size());
    return "<p class=\"note\">"
        + Html.esc(title)
        + ", as a share of the tensor's signal power, from its calibration histogram:"
        + " rounding noise inside the clipping range and clipping noise outside it. This is each"
        + " tensor's own error, before it adds up along the graph; the label is the estimated"
        + " SQNR.</p>"
        + BarChart.render(
            new BarChart.Spec(
                "bars layer-error",
                title,
                "Blue: rounding noise. Red: clipping noise. Longer bars mean more error.",
                "noise power, % of signal power",
                bars,
                List.of(new Legend("rounding", "rounding"), new Legend("clipping", "clipping")),
                Double.NaN,
                ""));
  }

  private static double noiseShare(TensorView v) {
    return v.signalPower() > 0 ? (v.roundingNoise() + v.clippingNoise()) / v.signalPower() : 0;
  }

  /**
   * Histograms of the calibrated tensors, worst first.
   *
   * @param ranked the tensors, worst first
   * @param open how many are shown open; the rest are collapsed
   * @param compact the run page's form: smaller plots, the figures on one line, no collapsed rest
   * @param o options
   */
  static String tensors(List<TensorView> ranked, int open, boolean compact, ReportOptions o) {
    StringBuilder b = new StringBuilder("<div class=\"tensor-grid");
    b.append(compact ? " compact" : "").append("\">");
    int n = Math.min(open, ranked.size());
    for (int i = 0; i < n; i++) {
      b.append(tensor(ranked.get(i), true, compact, o));
    }
    b.append("</div>");
    if (!compact && ranked.size() > n) {
      b.append("<details class=\"more\"><summary>").append(ranked.size() - n);
      b.append(n == 0 ? " tensors" : " more tensors").append(" <span class=\"meta\">(collapsed)");
      b.append("</span></summary><div class=\"body tensor-grid\">");
      for (int i = n; i < ranked.size(); i++) {
        b.append(tensor(ranked.get(i), false, false, o));
      }
      b.append("</div></details>");
    }
    return b.toString();
  }

  private static String tensor(TensorView v, boolean open, boolean compact, ReportOptions o) {
    TensorCalibration t = v.calibration();
    StringBuilder b = new StringBuilder("<details class=\"tensor\"");
    b.append(open ? " open" : "").append("><summary><code>").append(Html.esc(t.tensor()));
    b.append("</code> <span class=\"meta\">· clipped ").append(Html.pct(v.clippedFraction(), 3));
    b.append(" · est. SQNR ").append(Html.num(v.estimatedSqnrDb(), 1)).append(" dB");
    if (!Double.isNaN(v.nodeSqnrDb())) {
      b.append(" · node SQNR ").append(Html.num(v.nodeSqnrDb(), 1)).append(" dB");
    }
    b.append("</span></summary><div class=\"body\">");
    double width = compact ? HistogramPlot.COMPACT_WIDTH : HistogramPlot.WIDTH;
    b.append(HistogramPlot.render(t, v, o.histogramBars(), width));
    b.append(compact ? oneLine(v) : stats(v)).append("</div></details>");
    return b.toString();
  }

  private static String oneLine(TensorView v) {
    TensorCalibration t = v.calibration();
    return "<p class=\"note\">"
        + Html.esc(t.method().configName())
        + " range ["
        + Html.sig(t.range().lo())
        + ", "
        + Html.sig(t.range().hi())
        + "] of observed ["
        + Html.sig(t.histogram().min())
        + ", "
        + Html.sig(t.histogram().max())
        + "], scale "
        + Html.sig(t.params().scale())
        + ", zero point "
        + t.params().zeroPoint()
        + "</p>";
  }

  private static String stats(TensorView v) {
    TensorCalibration t = v.calibration();
    Histogram h = t.histogram();
    String method =
        t.method().configName()
            + (Double.isNaN(t.percentile()) ? "" : " (" + Html.sig(t.percentile()) + ")");
    StringBuilder b = new StringBuilder("<dl class=\"kv\">");
    kv(b, "method", method);
    kv(b, "range", "[" + Html.sig(t.range().lo()) + ", " + Html.sig(t.range().hi()) + "]");
    kv(
        b,
        "representable",
        "["
            + Html.sig(t.params().representableMin())
            + ", "
            + Html.sig(t.params().representableMax())
            + "]"
            + (t.range().lo() > 0 || t.range().hi() < 0 ? " (0 is always representable)" : ""));
    kv(
        b,
        "scale / zero point",
        Html.sig(t.params().scale())
            + " / "
            + t.params().zeroPoint()
            + " ("
            + t.type().configName()
            + (t.symmetric() ? ", symmetric" : "")
            + ")");
    kv(
        b,
        "observed",
        "[" + Html.sig(h.min()) + ", " + Html.sig(h.max()) + "], " + h.totalCount() + " values");
    kv(
        b,
        "clipped",
        Html.pct(v.clippedBelow(), 4) + " below, " + Html.pct(v.clippedAbove(), 4) + " above");
    if (h.nonFiniteCount() > 0) {
      kv(b, "non-finite", h.nanCount() + " NaN, " + (h.posInfCount() + h.negInfCount()) + " ±Inf");
    }
    kv(b, "histogram", h.spanBins() + " bins of 2^" + h.level() + " = " + Html.sig(h.binWidth()));
    return b.append("</dl>").toString();
  }

  private static void kv(StringBuilder b, String k, String v) {
    b.append("<dt>").append(Html.esc(k)).append("</dt><dd>").append(Html.esc(v)).append("</dd>");
  }

  /** A sortable-by-eye table of every tensor, worst first, collapsed. */
  static String tensorTable(List<TensorView> ranked) {
    StringBuilder b = new StringBuilder("<details><summary>Table of all ");
    b.append(ranked.size())
        .append(" tensors, worst first</summary><div class=\"body wrap\"><table>");
    b.append("<thead><tr><th class=\"num\">#</th><th>Tensor</th><th>Method</th>");
    b.append("<th class=\"num\">Range</th><th class=\"num\">Clipped</th>");
    b.append("<th class=\"num\">Est. SQNR (dB)</th><th class=\"num\">Node SQNR (dB)</th>");
    b.append("</tr></thead><tbody>");
    int i = 1;
    for (TensorView v : ranked) {
      TensorCalibration t = v.calibration();
      b.append("<tr><td class=\"num\">").append(i++).append("</td><td class=\"name\"><code>");
      b.append(Html.esc(t.tensor())).append("</code></td><td>").append(t.method().configName());
      b.append("</td><td class=\"num\">[").append(Html.sig(t.range().lo())).append(", ");
      b.append(Html.sig(t.range().hi())).append("]</td><td class=\"num\">");
      b.append(Html.pct(v.clippedFraction(), 3)).append("</td><td class=\"num\">");
      b.append(Html.num(v.estimatedSqnrDb(), 1)).append("</td><td class=\"num\">");
      b.append(Html.num(v.nodeSqnrDb(), 1)).append("</td></tr>");
    }
    return b.append("</tbody></table></div></details>").toString();
  }
}
