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
    List<TuningParts.Point> pts = new ArrayList<>();
    for (ModelResult.AutoCandidate c : a.candidates()) {
      pts.add(
          new TuningParts.Point(
              c.speedup(),
              c.objective(),
              c.passed(),
              c.label(),
              c.label() + (c.chosen() ? " ★" : "")));
    }
    return TuningParts.scatter(
        "auto-tradeoff",
        "Fidelity against speed of auto mode's candidates",
        "Each point is a candidate recipe: x is its speed over FP32, y its "
            + a.objective()
            + " on the sample; filled points meet the gate.",
        a.objective(),
        pts);
  }

  private static String fmt(double v, int digits) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "–";
  }
}
