package io.octet.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The auto-mode section of a model page: which recipe was published and why, every candidate's
 * fidelity, speed and size in a table, and speed against fidelity in a plot.
 */
final class AutoParts {
  private AutoParts() {}

  static String section(ModelResult.Auto a) {
    StringBuilder b = new StringBuilder();
    b.append("<p>Published <code>").append(Html.esc(a.chosen())).append("</code>: ");
    b.append(
        a.passedOnSample()
            ? "the fastest candidate that met the gate on the sample (speedups within the tie"
                + " margin count as equal; ties go to the one closer to FP32, then the smaller)."
            : "no candidate met the gate on the sample, so the one closest to FP32.");
    b.append(" Scored on ").append(a.sampleRows()).append(" validation rows by ");
    b.append(Html.esc(a.objective())).append(a.timedOn().isEmpty() ? "" : "; timed on ");
    b.append(Html.esc(a.timedOn())).append(".</p>");
    b.append(plot(a));
    b.append("<table><thead><tr><th>candidate</th><th>mode</th><th>mean cos</th>");
    b.append("<th>min cos</th><th>accuracy drop (pts)</th><th>speed vs FP32</th><th>size</th>");
    b.append("<th>gate</th></tr></thead><tbody>");
    for (ModelResult.AutoCandidate c : a.candidates()) {
      b.append(c.chosen() ? "<tr class=\"chosen\"><td><strong>" : "<tr><td>");
      b.append(Html.esc(c.label())).append(c.chosen() ? "</strong> (published)" : "");
      b.append("</td><td>").append(Html.esc(c.mode()));
      if (c.error() != null) {
        b.append("</td><td colspan=\"6\">not built: ").append(Html.esc(c.error()));
        b.append("</td></tr>");
        continue;
      }
      b.append("</td><td>").append(fmt(c.meanCosine(), 4));
      b.append("</td><td>").append(fmt(c.minCosine(), 4));
      b.append("</td><td>").append(fmt(c.accuracyDropPoints(), 2));
      b.append("</td><td>").append(Double.isFinite(c.speedup()) ? fmt(c.speedup(), 2) + "×" : "–");
      b.append("</td><td>").append(size(c.bytes(), a.fp32Bytes()));
      b.append("</td><td>").append(c.passed() ? "✓" : "✗").append("</td></tr>");
    }
    b.append("</tbody></table>");
    return b.toString();
  }

  private static String size(long bytes, long fp32) {
    if (bytes < 0) {
      return "–";
    }
    String mb = fmt(bytes / 1e6, 1) + " MB";
    return fp32 > 0 ? mb + " (" + fmt((double) bytes / fp32, 2) + " of FP32)" : mb;
  }

  /** Speed (x) against the objective (y) of every scored, timed candidate; passing ones filled. */
  static String plot(ModelResult.Auto a) {
    List<ModelResult.AutoCandidate> pts = new ArrayList<>();
    for (ModelResult.AutoCandidate c : a.candidates()) {
      if (Double.isFinite(c.speedup()) && Double.isFinite(c.objective())) {
        pts.add(c);
      }
    }
    if (pts.isEmpty()) {
      return "<p class=\"meta\">No candidate was timed.</p>";
    }
    double x0 = Double.POSITIVE_INFINITY;
    double x1 = Double.NEGATIVE_INFINITY;
    double y0 = Double.POSITIVE_INFINITY;
    double y1 = Double.NEGATIVE_INFINITY;
    for (ModelResult.AutoCandidate p : pts) {
      x0 = Math.min(x0, p.speedup());
      x1 = Math.max(x1, p.speedup());
      y0 = Math.min(y0, p.objective());
      y1 = Math.max(y1, p.objective());
    }
    double padX = Math.max(0.05, (x1 - x0) * 0.1);
    double padY = Math.max(1e-4, (y1 - y0) * 0.1);
    double w = TuningParts.WIDTH;
    double h = TuningParts.HEIGHT;
    double left = TuningParts.LEFT;
    double right = TuningParts.RIGHT;
    double top = TuningParts.TOP;
    double bottom = TuningParts.BOTTOM;
    Scale xs = Scale.linear(Math.max(0, x0 - padX), x1 + padX, left, w - right);
    Scale ys = Scale.linear(y0 - padY, y1 + padY, h - bottom, top);
    Svg s =
        new Svg(
            "auto-tradeoff",
            w,
            h,
            "Fidelity against speed of auto mode's candidates",
            "Each point is a candidate recipe: x is its speed over FP32, y its "
                + a.objective()
                + " on the sample; filled points meet the gate.");
    for (double v : xs.ticks(5)) {
      s.line(xs.map(v), top, xs.map(v), h - bottom, "grid");
      s.text(xs.map(v), h - bottom + 14, fmt(v, 2) + "×", "tick", "middle");
    }
    for (double v : ys.ticks(5)) {
      s.line(left, ys.map(v), w - right, ys.map(v), "grid");
      s.text(left - 6, ys.map(v) + 4, fmt(v, 4), "tick", "end");
    }
    s.text((left + w - right) / 2, h - 8, "speed over FP32", "axis-title", "middle");
    s.verticalText(14, (top + h - bottom) / 2, a.objective(), "axis-title");
    for (ModelResult.AutoCandidate p : pts) {
      double cx = xs.map(p.speedup());
      double cy = ys.map(p.objective());
      String tip =
          p.label() + ": " + fmt(p.objective(), 5) + ", " + fmt(p.speedup(), 2) + "× FP32 speed";
      s.rect(cx - 4, cy - 4, 8, 8, p.passed() ? "point-pass" : "point-fail", tip);
      s.text(cx + 7, cy - 5, p.label() + (p.chosen() ? " ★" : ""), "point-label", "start");
    }
    return s.close();
  }

  private static String fmt(double v, int digits) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "–";
  }
}
