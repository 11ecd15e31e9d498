package io.octet.report;

/** Axis lines, ticks, grid lines and titles shared by the charts. */
final class Axes {
  private Axes() {}

  /** A horizontal value axis along the bottom of the plot area, with grid-free ticks. */
  static void x(Svg s, Scale x, double top, double bottom, String title) {
    double left = Math.min(x.map(x.domainMin()), x.map(x.domainMax()));
    double right = Math.max(x.map(x.domainMin()), x.map(x.domainMax()));
    s.line(left, bottom, right, bottom, "axis");
    for (double t : x.ticks(6)) {
      double px = x.map(t);
      s.line(px, bottom, px, bottom + 4, "axis");
      s.text(px, bottom + 15, Html.sig(t), "tick", "middle");
    }
    s.text((left + right) / 2, bottom + 31, title, "axis-title", "middle");
  }

  /** A log-scale count axis on the left with horizontal grid lines at each power of ten. */
  static void yLog(Svg s, Scale y, double left, double right, String title) {
    double top = Math.min(y.map(y.domainMin()), y.map(y.domainMax()));
    double bottom = Math.max(y.map(y.domainMin()), y.map(y.domainMax()));
    s.line(left, top, left, bottom, "axis");
    for (double t : y.ticks(6)) {
      double py = y.map(t);
      s.line(left, py, right, py, "grid");
      s.line(left - 4, py, left, py, "axis");
      s.text(left - 6, py + 4, Html.compact(t), "tick", "end");
    }
    s.verticalText(14, (top + bottom) / 2, title, "axis-title");
  }
}
