package io.octet.report;

import io.octet.calib.CalibrationTable;
import io.octet.report.BarChart.Bar;
import io.octet.report.BarChart.Legend;
import io.octet.report.ModelResult.Stage;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a run's page, {@code _runs/<run-id>/report.html}: one overview row per model, stage
 * timings, and per model its figures, the reason it failed and its worst tensors, with links to the
 * model pages and artifacts. The page is self-contained and links relatively.
 */
public final class RunReport {
  private static final Set<String> KNOWN_STAGES =
      Set.of("load", "calibrate", "quantize", "validate", "publish");

  private RunReport() {}

  /**
   * Returns where a run's page lives, relative to the warehouse root.
   *
   * @param runId the run id
   * @return {@code _runs/<run-id>/report.html}
   */
  public static String path(String runId) {
    return "_runs/" + runId + "/report.html";
  }

  /**
   * Renders a run's page.
   *
   * @param s the run summary
   * @param tables calibration tables by model name; models without one are shown without histograms
   *     (null means none)
   * @param o display options (null means {@link ReportOptions#defaults()})
   * @return the HTML document
   */
  public static String render(RunSummary s, Map<String, CalibrationTable> tables, ReportOptions o) {
    tables = tables == null ? Map.of() : tables;
    o = o == null ? ReportOptions.defaults() : o;
    String dir = Links.parent(path(s.runId()));
    StringBuilder b = new StringBuilder();
    b.append(header(s));
    b.append("<h2 id=\"models\">Models</h2>").append(overview(s, dir));
    b.append("<h2 id=\"timings\">Stage timings</h2>").append(timings(s));
    b.append("<h2 id=\"details\">Per model</h2>");
    for (ModelResult m : s.models()) {
      b.append(modelSection(s, m, tables.get(m.name()), dir, o));
    }
    b.append(footer(s));
    return Page.document("Octet run " + s.runId(), b.toString());
  }

  private static String header(RunSummary s) {
    StringBuilder b = new StringBuilder("<header class=\"top\"><h1>Octet run ");
    b.append(Html.esc(s.runId())).append("</h1><p class=\"meta\">");
    b.append("started ").append(Html.esc(orNone(s.started()))).append(" · finished ");
    b.append(Html.esc(orNone(s.finished()))).append(" · took ").append(Html.duration(s.duration()));
    b.append("</p><div class=\"counts\">");
    for (ModelStatus st : ModelStatus.values()) {
      long c = s.count(st);
      if (c > 0) {
        b.append("<span class=\"badge ").append(st.label()).append("\">").append(c).append(' ');
        b.append(st.label()).append("</span>");
      }
    }
    b.append("</div><dl class=\"kv\"><dt>registry</dt><dd><code>");
    b.append(Html.esc(orNone(s.registry()))).append("</code></dd><dt>warehouse</dt><dd><code>");
    b.append(Html.esc(orNone(s.warehouse()))).append("</code></dd>");
    if (!s.versions().isEmpty()) {
      b.append("<dt>versions</dt><dd>");
      List<String> v = new ArrayList<>();
      s.versions().forEach((k, x) -> v.add(Html.esc(k) + " " + Html.esc(x)));
      b.append(String.join(" · ", v)).append("</dd>");
    }
    return b.append("</dl></header>\n").toString();
  }

  private static String overview(RunSummary s, String dir) {
    StringBuilder b =
        new StringBuilder("<div class=\"wrap\"><table class=\"overview\"><thead><tr>");
    for (String h :
        List.of(
            "Model",
            "Status",
            "Size FP32 → INT8",
            "Latency FP32 → INT8",
            "Fidelity and accuracy vs gate",
            "Gate / reason")) {
      b.append("<th>").append(Html.esc(h)).append("</th>");
    }
    b.append("</tr></thead><tbody>");
    for (ModelResult m : s.models()) {
      b.append("<tr class=\"row-").append(m.status().label()).append("\"><td class=\"model\">");
      b.append(modelLink(s, m, dir)).append("</td><td>").append(ModelParts.badge(m.status()));
      if (Boolean.TRUE.equals(m.latestMoved())) {
        b.append("<br><span class=\"meta\">latest ✓</span>");
      }
      b.append("</td><td class=\"num\">").append(ModelParts.size(m.size()));
      b.append("</td><td class=\"num\">");
      b.append(ModelParts.latency(m.latency(), GateCheck.find(m, "max-latency-ratio")));
      b.append("</td><td class=\"fig\">").append(ModelParts.fidelity(m)).append("</td>");
      b.append("<td class=\"reason\">")
          .append(ModelParts.shortReason(m, "#model-" + Html.id(m.label())));
      b.append("</td></tr>");
    }
    return b.append("</tbody></table></div>").toString();
  }

  private static String modelLink(RunSummary s, ModelResult m, String dir) {
    String anchor = "#model-" + Html.id(m.label());
    StringBuilder b = new StringBuilder("<a class=\"model-name\" href=\"").append(anchor);
    b.append("\"><strong>")
        .append(Html.esc(m.name()))
        .append("</strong></a> <span class=\"meta\">v");
    b.append(Html.esc(m.version())).append(" · ").append(Html.esc(ModelReport.modeLine(m)));
    b.append("</span>");
    String page = hasPage(m) ? Links.relative(dir, ModelReport.path(s, m)) : null;
    StringBuilder links = new StringBuilder();
    if (page != null) {
      links.append("<a href=\"").append(Html.esc(page)).append("\">report</a>");
    }
    String files = ModelParts.artifactLinks(m.artifacts(), dir, false);
    if (!files.equals(Html.NONE)) {
      links.append(links.length() == 0 ? "" : " · ").append(files);
    }
    if (links.length() > 0) {
      b.append("<div class=\"links\">").append(links).append("</div>");
    }
    return b.toString();
  }

  /** A model page exists when the model was published (its report is an artifact). */
  static boolean hasPage(ModelResult m) {
    return m.artifacts() != null
        && (m.artifacts().report() != null || m.artifacts().prefix() != null);
  }

  private static String timings(RunSummary s) {
    Set<String> names = new LinkedHashSet<>();
    for (ModelResult m : s.models()) {
      names.addAll(m.stages().keySet());
    }
    if (names.isEmpty()) {
      return "<p class=\"note\">No stage ran in this run.</p>";
    }
    List<String> order = new ArrayList<>(names);
    List<Bar> bars = new ArrayList<>();
    for (ModelResult m : s.models()) {
      double[] v = new double[order.size()];
      String[] cls = new String[order.size()];
      StringBuilder tip = new StringBuilder(m.label()).append(':');
      for (int i = 0; i < order.size(); i++) {
        Stage st = m.stages().get(order.get(i));
        v[i] = st == null || Double.isNaN(st.seconds()) ? 0 : st.seconds();
        cls[i] = stageClass(order.get(i));
        if (st != null) {
          tip.append(' ').append(order.get(i)).append(' ').append(Html.seconds(st.seconds()));
        }
      }
      String total = m.stages().isEmpty() ? Html.NONE : Html.seconds(m.totalSeconds());
      bars.add(new Bar(m.label(), v, cls, total, tip.toString()));
    }
    List<Legend> legend = new ArrayList<>();
    for (String n : order) {
      legend.add(new Legend(stageClass(n), n));
    }
    return "<p class=\"note\">Wall time of each model's stages; hover a bar for the numbers.</p>"
        + BarChart.render(
            new BarChart.Spec(
                "bars timings",
                "Stage wall time per model",
                "Stacked bars, one per model, one segment per stage: " + String.join(", ", order),
                "seconds",
                bars,
                legend,
                Double.NaN,
                ""));
  }

  static String stageClass(String stage) {
    return KNOWN_STAGES.contains(stage) ? "st-" + stage : "st-other";
  }

  private static String modelSection(
      RunSummary s, ModelResult m, CalibrationTable table, String dir, ReportOptions o) {
    StringBuilder b = new StringBuilder("<section class=\"model\" id=\"model-");
    b.append(Html.id(m.label()))
        .append("\" data-model=\"")
        .append(Html.esc(m.name()))
        .append("\">");
    b.append("<h3>").append(Html.esc(m.name())).append(" <span class=\"meta\">v");
    b.append(Html.esc(m.version())).append("</span> ").append(ModelParts.badge(m.status()));
    String page = hasPage(m) ? Links.relative(dir, ModelReport.path(s, m)) : null;
    if (page != null) {
      b.append(" <a href=\"").append(Html.esc(page)).append("\">full model report →</a>");
    }
    b.append("</h3>");
    if (m.error() != null) {
      b.append(ModelParts.failure(m));
    } else if (m.status() != ModelStatus.PASSED) {
      b.append("<div>").append(ModelParts.reason(m)).append("</div>");
    }
    if (m.metrics() != null || m.size() != null || m.latency() != null) {
      b.append(ModelParts.cards(m));
    }
    if (table != null && o.runPageTensors() > 0 && !table.tensors().isEmpty()) {
      List<TensorView> ranked = TensorView.ranked(table, m.nodeSqnr());
      int n = Math.min(o.runPageTensors(), ranked.size());
      b.append("<details open><summary>The ").append(n).append(" worst of ");
      b.append(ranked.size()).append(" calibrated tensors</summary><div class=\"body\">");
      b.append(QualityParts.tensors(ranked, n, true, o)).append("</div></details>");
    }
    if (!m.nodeSqnr().isEmpty()) {
      b.append("<details><summary>Per-node sensitivity</summary><div class=\"body\">");
      b.append(QualityParts.nodeSensitivity(m, o)).append("</div></details>");
    }
    return b.append("</section>\n").toString();
  }

  static String footer(RunSummary s) {
    String v = s.versions().getOrDefault("octet", "");
    return "<footer>Generated by Octet "
        + Html.esc(v)
        + " from "
        + Html.esc(s.format())
        + ". A static page: no scripts, nothing is fetched.</footer>";
  }

  private static String orNone(String s) {
    return s == null ? Html.NONE : s;
  }
}
