package io.octet.report;

import io.octet.calib.CalibrationTable;
import io.octet.report.ModelResult.Artifacts;
import java.util.List;

/**
 * Renders one model's page, {@code <model>/<version>/<run-id>/report.html}: figures, gate, per-node
 * sensitivity, per-tensor error, histograms of the calibrated tensors (worst first) and the config.
 * The page is self-contained and links to its neighbours relatively.
 */
public final class ModelReport {
  private ModelReport() {}

  /**
   * Returns where a model's page lives, relative to the warehouse root.
   *
   * @param run the run
   * @param m the model
   * @return the artifact {@code report} path when the summary has one, else {@code report.html}
   *     under the artifact prefix, else {@code <name>/<version>/<run-id>/report.html}
   */
  public static String path(RunSummary run, ModelResult m) {
    Artifacts a = m.artifacts();
    if (a != null && a.report() != null && !a.report().isBlank()) {
      return a.report();
    }
    if (a != null && a.prefix() != null && !a.prefix().isBlank()) {
      return a.prefix().replaceAll("/+$", "") + "/report.html";
    }
    return m.name() + "/" + m.version() + "/" + run.runId() + "/report.html";
  }

  /**
   * Renders a model's page.
   *
   * @param run the run the model belongs to
   * @param m the model
   * @param table its calibration table, or null when there is none (failed early, dynamic mode)
   * @param o display options (null means {@link ReportOptions#defaults()})
   * @return the HTML document
   */
  public static String render(
      RunSummary run, ModelResult m, CalibrationTable table, ReportOptions o) {
    o = o == null ? ReportOptions.defaults() : o;
    String dir = Links.parent(path(run, m));
    List<TensorView> ranked = table == null ? List.of() : TensorView.ranked(table, m.nodeSqnr());
    StringBuilder b = new StringBuilder();
    String back = Links.relative(dir, RunReport.path(run.runId()));
    b.append("<header class=\"top\"><p class=\"meta\"><a href=\"").append(Html.esc(back));
    b.append("\">← Run ").append(Html.esc(run.runId())).append("</a></p><h1>");
    b.append(Html.esc(m.name())).append(" <span class=\"meta\">v").append(Html.esc(m.version()));
    b.append("</span> ").append(ModelParts.badge(m.status())).append("</h1>");
    b.append("<p class=\"meta\">").append(Html.esc(modeLine(m))).append(" · run ");
    b.append(Html.esc(run.runId()));
    if (m.latestMoved() != null) {
      b.append(
          m.latestMoved()
              ? " · <code>latest</code> moved here"
              : " · <code>latest</code> not moved");
    }
    b.append("</p><nav class=\"jump\" aria-label=\"Sections\"><a href=\"#gate\">Gate</a>");
    b.append(" · <a href=\"#sensitivity\">Per-node sensitivity</a> · <a href=\"#layer-error\">");
    b.append("Per-layer error</a> · <a href=\"#tensors\">Calibrated tensors</a> · ");
    b.append("<a href=\"#stages\">Stages</a> · <a href=\"#config\">Config</a></nav></header>\n");
    b.append("<section class=\"model\" data-model=\"").append(Html.esc(m.name())).append("\">");
    b.append(ModelParts.failure(m)).append(ModelParts.cards(m));
    b.append("<h2 id=\"gate\">Gate</h2>");
    if (m.error() == null) {
      b.append("<p>").append(ModelParts.reason(m)).append("</p>");
    }
    b.append(ModelParts.gateTable(m));
    if (m.target() != null) {
      b.append("<h2 id=\"target\">Target CPUs</h2>").append(ModelParts.target(m.target()));
    }
    b.append("<h2 id=\"artifacts\">Artifacts</h2><p>");
    b.append(ModelParts.artifactLinks(m.artifacts(), dir, false)).append("</p>");
    if (m.auto() != null) {
      b.append("<h2 id=\"auto\">Auto mode: candidates</h2>").append(AutoParts.section(m.auto()));
    }
    if (m.tuning() != null) {
      b.append("<h2 id=\"tuning\">Tuning</h2>").append(TuningParts.section(m.tuning()));
    }
    b.append("<h2 id=\"sensitivity\">Per-node sensitivity</h2>");
    b.append(QualityParts.nodeSensitivity(m, o));
    b.append("<h2 id=\"layer-error\">Per-layer error</h2>");
    b.append(table == null ? noTable(m) : QualityParts.layerError(ranked, o));
    b.append("<h2 id=\"tensors\">Calibrated tensors</h2>");
    if (table == null) {
      b.append(noTable(m));
    } else {
      b.append("<p class=\"note\">").append(ranked.size()).append(" tensors calibrated on ");
      b.append(table.rows()).append(" rows, worst first: by the measured SQNR of the node that");
      b.append(" produces the tensor where there is one, else by the share of values clipped.");
      b.append(" The first ").append(Math.min(o.topTensors(), ranked.size()));
      b.append(" are open.</p>");
      b.append(QualityParts.tensors(ranked, o.topTensors(), false, o));
      b.append(QualityParts.tensorTable(ranked));
    }
    b.append("<h2 id=\"stages\">Stages</h2>").append(ModelParts.stages(m));
    b.append("<h2 id=\"config\">Config</h2>").append(ModelParts.config(m));
    b.append("</section>");
    b.append(RunReport.footer(run));
    return Page.document(m.label() + " · Octet run " + run.runId(), b.toString());
  }

  static String modeLine(ModelResult m) {
    String mode = m.mode() == null ? "mode unknown" : m.mode();
    return m.method() == null ? mode : mode + " / " + m.method();
  }

  static String noTable(ModelResult m) {
    String why =
        m.status() == ModelStatus.FAILED || m.status() == ModelStatus.SKIPPED
            ? "this model has no calibration table in this run"
            : "no calibration table was given for this model";
    return "<p class=\"note\">Nothing to show: " + why + ".</p>";
  }
}
