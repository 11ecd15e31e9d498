package io.octet.report;

import java.util.List;

/**
 * Horizontal bar charts: one row per item with its label on the left, bars that may stack several
 * segments, a value label at the end, and an optional legend and reference line.
 */
final class BarChart {
  static final double WIDTH = 720;
  static final double LABEL_WIDTH = 270;
  static final double VALUE_WIDTH = 80;
  static final double ROW = 18;
  static final double BAR = 12;
  static final double TOP = 10;
  static final double LEGEND = 22;
  static final double BOTTOM = 38;
  static final int LABEL_CHARS = 40;

  private BarChart() {}

  /**
   * One row.
   *
   * @param label the row label (long labels are cut from the left; the tooltip has it whole)
   * @param values segment lengths, stacked left to right
   * @param cls CSS class of each segment
   * @param valueText text after the bar
   * @param tooltip hover text of the bar
   */
  record Bar(String label, double[] values, String[] cls, String valueText, String tooltip) {
    double total() {
      double t = 0;
      for (double v : values) {
        t += Double.isFinite(v) ? v : 0;
      }
      return t;
    }
  }

  /**
   * A legend entry.
   *
   * @param cls the CSS class of the swatch
   * @param label its text
   */
  record Legend(String cls, String label) {}

  /**
   * A chart definition.
   *
   * @param cssClass the SVG's class
   * @param title accessible name
   * @param desc accessible description
   * @param axisTitle the value axis title
   * @param bars rows, top to bottom
   * @param legend legend entries (may be empty)
   * @param reference a value to mark with a dashed line, or NaN
   * @param referenceLabel the reference line's label
   */
  record Spec(
      String cssClass,
      String title,
      String desc,
      String axisTitle,
      List<Bar> bars,
      List<Legend> legend,
      double reference,
      String referenceLabel) {}

  /** The value scale a chart uses; exposed for tests. */
  static Scale scale(Spec spec) {
    double lo = 0;
    double hi = 0;
    for (Bar b : spec.bars()) {
      lo = Math.min(lo, b.total());
      hi = Math.max(hi, b.total());
    }
    if (Double.isFinite(spec.reference())) {
      lo = Math.min(lo, spec.reference());
      hi = Math.max(hi, spec.reference());
    }
    if (hi <= lo) {
      hi = lo + 1;
    }
    double step = Scale.niceStep((hi - lo) / 5);
    hi = Math.ceil(hi / step - 1e-9) * step;
    lo = Math.floor(lo / step + 1e-9) * step;
    return Scale.linear(lo, hi, LABEL_WIDTH, WIDTH - VALUE_WIDTH);
  }

  static String render(Spec spec) {
    double legend = spec.legend().isEmpty() ? 0 : LEGEND;
    double top = TOP + legend;
    double height = top + spec.bars().size() * ROW + BOTTOM;
    Svg s = new Svg(spec.cssClass(), WIDTH, height, spec.title(), spec.desc());
    Scale x = scale(spec);
    double bottom = top + spec.bars().size() * ROW;
    for (double t : x.ticks(5)) {
      s.line(x.map(t), top, x.map(t), bottom, "grid");
    }
    drawLegend(s, spec.legend());
    double zero = x.map(0);
    for (int i = 0; i < spec.bars().size(); i++) {
      Bar b = spec.bars().get(i);
      double y = top + i * ROW + (ROW - BAR) / 2;
      s.text(LABEL_WIDTH - 6, y + BAR - 2, Svg.fit(b.label(), LABEL_CHARS), "label", "end");
      double at = 0;
      for (int k = 0; k < b.values().length; k++) {
        double v = Double.isFinite(b.values()[k]) ? b.values()[k] : 0;
        double x0 = x.map(at);
        double x1 = x.map(at + v);
        s.rect(Math.min(x0, x1), y, Math.abs(x1 - x0), BAR, b.cls()[k], b.tooltip());
        at += v;
      }
      double end = Math.max(zero, x.map(at));
      s.text(end + 4, y + BAR - 2, b.valueText(), "value", "start");
    }
    if (Double.isFinite(spec.reference())) {
      double rx = x.map(spec.reference());
      s.line(rx, top - 2, rx, bottom, "reference");
      s.text(rx + 3, top + 8, spec.referenceLabel(), "reference-label", "start");
    }
    s.line(zero, top, zero, bottom, "axis");
    Axes.x(s, x, top, bottom, spec.axisTitle());
    return s.close();
  }

  private static void drawLegend(Svg s, List<Legend> legend) {
    double lx = LABEL_WIDTH;
    for (Legend l : legend) {
      s.rect(lx, TOP, 11, 11, l.cls());
      s.text(lx + 15, TOP + 10, l.label(), "legend", "start");
      lx += 30 + 7 * l.label().length();
    }
  }
}
