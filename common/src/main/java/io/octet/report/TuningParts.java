package io.octet.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tuning section of a model page: what the tuner chose, the fidelity/speed trade-off of the
 * candidates it timed (one point per candidate: FP32 nodes trade speed for fidelity), and every
 * trial in a table.
 */
final class TuningParts {
  static final double WIDTH = 560;
  static final double HEIGHT = 300;
  static final double LEFT = 70;
  static final double RIGHT = 20;
  static final double TOP = 16;
  static final double BOTTOM = 44;

  private TuningParts() {}

  static String section(ModelResult.Tuning t) {
    StringBuilder b = new StringBuilder();
    b.append("<p>").append(t.fp32Nodes().size()).append(" node(s) kept in FP32, starting point ");
    b.append(Html.esc(t.base())).append(", objective ").append(Html.esc(t.objective()));
    b.append(
        t.passedOnSample()
            ? ", gate met on the tuning sample."
            : ", gate NOT met on the tuning sample.");
    b.append("</p>");
    if (!t.fp32Nodes().isEmpty()) {
      b.append("<details><summary>Nodes kept in FP32</summary><ul>");
      for (String n : t.fp32Nodes()) {
        b.append("<li><code>").append(Html.esc(n)).append("</code></li>");
      }
      b.append("</ul></details>");
    }
    b.append(plot(t));
    b.append("<details><summary>All ").append(t.trials().size()).append(" trials</summary>");
    b.append("<table><thead><tr><th>step</th><th>candidate</th><th>FP32 nodes</th><th>");
    b.append(Html.esc(t.objective()))
        .append("</th><th>gate</th><th>speedup</th></tr></thead><tbody>");
    for (ModelResult.TuningTrial x : t.trials()) {
      b.append("<tr><td>")
          .append(Html.esc(x.step()))
          .append("</td><td>")
          .append(Html.esc(x.candidate()));
      b.append("</td><td>").append(x.fp32Nodes()).append("</td><td>").append(fmt(x.objective(), 5));
      b.append("</td><td>").append(x.passed() ? "✓" : "✗").append("</td><td>");
      b.append(Double.isFinite(x.speedup()) ? fmt(x.speedup(), 2) + "×" : "–").append("</td></tr>");
    }
    b.append("</tbody></table></details>");
    return b.toString();
  }

  /** Speed (x) against fidelity (y) of every timed candidate; passing ones filled. */
  static String plot(ModelResult.Tuning t) {
    List<Point> pts = new ArrayList<>();
    for (ModelResult.TuningTrial x : t.trials()) {
      pts.add(
          new Point(
              x.speedup(),
              x.objective(),
              x.passed(),
              x.candidate(),
              Integer.toString(x.fp32Nodes())));
    }
    return scatter(
        "tradeoff",
        "Fidelity against speed of the tuning candidates",
        "Each point is a candidate model: x is its speed over FP32, y its "
            + t.objective()
            + " on the tuning sample; filled points meet the gate.",
        t.objective(),
        pts);
  }

  /**
   * One candidate in a speed-against-fidelity plot.
   *
   * @param speedup its speed over FP32
   * @param objective its fidelity
   * @param passed whether it met the gate (filled)
   * @param tip its name, for the tooltip
   * @param label the text beside the point
   */
  record Point(double speedup, double objective, boolean passed, String tip, String label) {}

  /** Speed (x) against fidelity (y) of the points that have both; passing ones filled. */
  static String scatter(
      String id, String title, String description, String objective, List<Point> all) {
    List<Point> pts = new ArrayList<>();
    for (Point x : all) {
      if (Double.isFinite(x.speedup()) && Double.isFinite(x.objective())) {
        pts.add(x);
      }
    }
    if (pts.isEmpty()) {
      return "<p class=\"meta\">No candidate was timed.</p>";
    }
    double x0 = Double.POSITIVE_INFINITY;
    double x1 = Double.NEGATIVE_INFINITY;
    double y0 = Double.POSITIVE_INFINITY;
    double y1 = Double.NEGATIVE_INFINITY;
    for (Point p : pts) {
      x0 = Math.min(x0, p.speedup());
      x1 = Math.max(x1, p.speedup());
      y0 = Math.min(y0, p.objective());
      y1 = Math.max(y1, p.objective());
    }
    double padX = Math.max(0.05, (x1 - x0) * 0.1);
    double padY = Math.max(1e-4, (y1 - y0) * 0.1);
    Scale xs = Scale.linear(Math.max(0, x0 - padX), x1 + padX, LEFT, WIDTH - RIGHT);
    Scale ys = Scale.linear(y0 - padY, y1 + padY, HEIGHT - BOTTOM, TOP);
    Svg s = new Svg(id, WIDTH, HEIGHT, title, description);
    for (double v : xs.ticks(5)) {
      s.line(xs.map(v), TOP, xs.map(v), HEIGHT - BOTTOM, "grid");
      s.text(xs.map(v), HEIGHT - BOTTOM + 14, fmt(v, 2) + "×", "tick", "middle");
    }
    for (double v : ys.ticks(5)) {
      s.line(LEFT, ys.map(v), WIDTH - RIGHT, ys.map(v), "grid");
      s.text(LEFT - 6, ys.map(v) + 4, fmt(v, 4), "tick", "end");
    }
    s.text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 8, "speed over FP32", "axis-title", "middle");
    s.verticalText(14, (TOP + HEIGHT - BOTTOM) / 2, objective, "axis-title");
    for (Point p : pts) {
      double cx = xs.map(p.speedup());
      double cy = ys.map(p.objective());
      String tip =
          p.tip() + ": " + fmt(p.objective(), 5) + ", " + fmt(p.speedup(), 2) + "× FP32 speed";
      s.rect(cx - 4, cy - 4, 8, 8, p.passed() ? "point-pass" : "point-fail", tip);
      s.text(cx + 7, cy - 5, p.label(), "point-label", "start");
    }
    return s.close();
  }

  private static String fmt(double v, int digits) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "–";
  }
}
