package io.octet.report;

import io.octet.report.ModelResult.Artifacts;
import io.octet.report.ModelResult.Latency;
import io.octet.report.ModelResult.Size;
import io.octet.report.ModelResult.Stage;
import java.util.List;
import java.util.Map;

/** The parts of a model's report that read the summary alone: figures, gate, stages, config. */
final class ModelParts {
  private ModelParts() {}

  static String badge(ModelStatus s) {
    return "<span class=\"badge " + s.label() + "\">" + s.label() + "</span>";
  }

  /** "90.4 MB → 23.0 MB" with the reduction underneath. */
  static String size(Size s) {
    if (s == null || (s.fp32Bytes() < 0 && s.int8Bytes() < 0)) {
      return Html.NONE;
    }
    String line = Html.bytes(s.fp32Bytes()) + " → " + Html.bytes(s.int8Bytes());
    if (s.fp32Bytes() > 0 && s.int8Bytes() > 0) {
      line += "<br><span class=\"meta\">" + Html.num((double) s.fp32Bytes() / s.int8Bytes(), 2);
      line += "× smaller</span>";
    }
    return line;
  }

  /** "3.10 → 1.50 ms/row" with the speedup underneath. */
  static String latency(Latency l, GateCheck gate) {
    if (l == null) {
      return Html.NONE;
    }
    String line =
        Html.num(l.fp32MsPerRow(), 3) + " → " + Html.num(l.int8MsPerRow(), 3) + " ms/row<br>";
    double speedup = l.speedup() > 0 ? l.speedup() : 1 / l.ratio();
    String how =
        speedup >= 1 ? Html.num(speedup, 2) + "× faster" : Html.num(1 / speedup, 2) + "× slower";
    line += "<span class=\"meta\">" + how + " (ratio " + Html.num(l.ratio(), 3) + ")</span>";
    return line + (gate == null ? "" : "<br>" + verdict(gate).trim());
  }

  /** A gate mark after a value: " ✓ ≥ 0.97" in green or red; "" without a threshold. */
  static String verdict(GateCheck c) {
    if (c == null) {
      return "";
    }
    Boolean ok = c.ok();
    String cls = ok == null ? "meta" : ok ? "ok" : "bad";
    return " <span class=\""
        + cls
        + "\" title=\"gate "
        + Html.esc(c.key())
        + "\">"
        + c.mark()
        + " "
        + Html.esc(c.bound())
        + "</span>";
  }

  /** Fidelity lines for the overview table: each figure with its gate bound when one is set. */
  static String fidelity(ModelResult m) {
    Fidelity f = m.metrics();
    if (f == null) {
      return Html.NONE;
    }
    StringBuilder b = new StringBuilder();
    line(b, "mean cos", Html.num(f.meanCosine(), 5), GateCheck.find(m, "min-mean-cosine"));
    line(b, "min cos", Html.num(f.minCosine(), 5), GateCheck.find(m, "min-cosine"));
    line(b, "SQNR", Html.num(f.sqnrDb(), 1) + " dB", GateCheck.find(m, "min-sqnr-db"));
    line(b, "top-1 agree", Html.pct(f.top1Agreement(), 1), GateCheck.find(m, "min-top1-agreement"));
    if (!Double.isNaN(f.fp32Accuracy()) && !Double.isNaN(f.int8Accuracy())) {
      line(
          b,
          "accuracy",
          Html.pct(f.fp32Accuracy(), 2) + " → " + Html.pct(f.int8Accuracy(), 2),
          GateCheck.find(m, "max-accuracy-drop-points"));
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String k, String v, GateCheck c) {
    if (v.startsWith(Html.NONE) && c == null) {
      return;
    }
    b.append(b.length() == 0 ? "" : "<br>").append("<span class=\"meta\">").append(k);
    b.append("</span> ").append(v).append(verdict(c));
  }

  /** The reason a model did not pass: its error, or the gate's failures; "" when it passed. */
  static String reason(ModelResult m) {
    if (m.error() != null) {
      ModelResult.Failure e = m.error();
      String where =
          (e.kind() == null ? "error" : e.kind()) + (e.stage() == null ? "" : " in " + e.stage());
      return "<strong>" + Html.esc(where) + "</strong>: " + Html.esc(e.message());
    }
    if (m.gate() != null && !m.gate().failures().isEmpty()) {
      StringBuilder b = new StringBuilder("<ul class=\"failures\">");
      for (String f : m.gate().failures()) {
        b.append("<li>").append(Html.esc(f)).append("</li>");
      }
      return b.append("</ul>").toString();
    }
    if (m.status() == ModelStatus.SKIPPED) {
      return "<span class=\"meta\">inputs unchanged since the last published run</span>";
    }
    return m.status() == ModelStatus.PASSED ? "<span class=\"ok\">gate passed</span>" : "";
  }

  /**
   * The reason in one or two lines for the overview table: the error's kind and stage and its first
   * sentence, or the gate's failures.
   *
   * @param m the model
   * @param more a link to the full text
   */
  static String shortReason(ModelResult m, String more) {
    if (m.error() == null) {
      return reason(m);
    }
    ModelResult.Failure e = m.error();
    String where =
        (e.kind() == null ? "error" : e.kind()) + (e.stage() == null ? "" : " in " + e.stage());
    String msg = e.message() == null ? "" : e.message();
    int cut = msg.indexOf(". ");
    String first = cut > 0 && cut < 160 ? msg.substring(0, cut + 1) : msg;
    if (first.length() > 160) {
      first = first.substring(0, 157) + "…";
    }
    return "<strong class=\"bad\">"
        + Html.esc(where)
        + "</strong><br>"
        + Html.esc(first)
        + (first.length() < msg.length() ? " <a href=\"" + Html.esc(more) + "\">more</a>" : "");
  }

  /** Key figures as cards. */
  static String cards(ModelResult m) {
    StringBuilder b = new StringBuilder("<div class=\"cards\">");
    card(b, "Size FP32 → INT8", ModelParts.size(m.size()));
    card(b, "Latency", latency(m.latency(), GateCheck.find(m, "max-latency-ratio")));
    card(b, "Fidelity vs gate", fidelity(m));
    Fidelity f = m.metrics();
    if (f != null) {
      card(
          b,
          "Validation",
          (f.rows() < 0 ? Html.NONE : f.rows() + " rows")
              + "<br><span class=\"meta\">max abs error "
              + Html.sig(f.maxAbsError())
              + (f.topK() > 0 ? ", top-" + f.topK() + " " + Html.pct(f.topKAgreement(), 1) : "")
              + "</span>");
    }
    card(b, "Run time", Html.seconds(m.totalSeconds()));
    return b.append("</div>").toString();
  }

  private static void card(StringBuilder b, String k, String valueHtml) {
    b.append("<div class=\"card\"><div class=\"k\">").append(Html.esc(k));
    b.append("</div><div class=\"s\">").append(valueHtml).append("</div></div>");
  }

  /** The error box, or "" without an error. */
  static String failure(ModelResult m) {
    return m.error() == null ? "" : "<div class=\"error\" role=\"alert\">" + reason(m) + "</div>";
  }

  /** The gate's thresholds next to the measured values. */
  static String gateTable(ModelResult m) {
    List<GateCheck> checks = GateCheck.of(m);
    if (checks.isEmpty()) {
      return "<p class=\"note\">No gate thresholds were configured.</p>";
    }
    StringBuilder b = new StringBuilder("<div class=\"wrap\"><table><thead><tr><th>Check</th>");
    b.append("<th class=\"num\">Required</th><th class=\"num\">Measured</th><th>Result</th>");
    b.append("</tr></thead><tbody>");
    for (GateCheck c : checks) {
      Boolean ok = c.ok();
      b.append("<tr><td>").append(Html.esc(c.label())).append(" <code>").append(Html.esc(c.key()));
      b.append("</code></td><td class=\"num\">").append(Html.esc(c.bound()));
      b.append("</td><td class=\"num\">").append(Html.num(c.actual(), c.decimals()));
      b.append("</td><td class=\"").append(ok == null ? "meta" : ok ? "ok" : "bad").append("\">");
      b.append(ok == null ? "not measured" : ok ? "✓ pass" : "✗ fail").append("</td></tr>");
    }
    return b.append("</tbody></table></div>").toString();
  }

  /** Stage timings as a small table. */
  static String stages(ModelResult m) {
    if (m.stages().isEmpty()) {
      return "<p class=\"note\">No stage ran.</p>";
    }
    StringBuilder b = new StringBuilder("<div class=\"wrap\"><table><thead><tr><th>Stage</th>");
    b.append("<th class=\"num\">Time</th><th class=\"num\">Rows</th></tr></thead><tbody>");
    for (Map.Entry<String, Stage> e : m.stages().entrySet()) {
      b.append("<tr><td>").append(Html.esc(e.getKey())).append("</td><td class=\"num\">");
      b.append(Html.seconds(e.getValue().seconds())).append("</td><td class=\"num\">");
      b.append(e.getValue().rows() < 0 ? Html.NONE : e.getValue().rows()).append("</td></tr>");
    }
    return b.append("</tbody></table></div>").toString();
  }

  /**
   * Links to a model's artifacts from a page's directory; missing ones are left out.
   *
   * @param a the artifacts, may be null
   * @param fromDir the page's directory, relative to the warehouse root
   * @param withReport include the model page itself
   */
  static String artifactLinks(Artifacts a, String fromDir, boolean withReport) {
    if (a == null) {
      return Html.NONE;
    }
    StringBuilder b = new StringBuilder();
    if (withReport) {
      link(b, "report", a.report(), fromDir);
    }
    link(b, "model", a.model(), fromDir);
    link(b, "calibration", a.calibration(), fromDir);
    link(b, "manifest", a.manifest(), fromDir);
    return b.length() == 0 ? Html.NONE : b.toString();
  }

  private static void link(StringBuilder b, String label, String target, String fromDir) {
    if (target == null) {
      return;
    }
    String href = Links.relative(fromDir, target);
    b.append(b.length() == 0 ? "" : " · ");
    if (href == null) {
      b.append(Html.esc(label)).append(" <code>").append(Html.esc(target)).append("</code>");
    } else {
      b.append("<a href=\"").append(Html.esc(href)).append("\" title=\"").append(Html.esc(target));
      b.append("\">").append(Html.esc(label)).append("</a>");
    }
  }

  /** Which CPUs the artifact is for, and whether the validating CPUs show their arithmetic. */
  static String target(io.octet.cpu.TargetValidation t) {
    StringBuilder b = new StringBuilder("<p>Target <code>").append(Html.esc(t.target()));
    b.append("</code>, weights <code>").append(Html.esc(t.weightEncoding())).append("</code>: ");
    b.append(t.integerNodes()).append(" integer MatMul/Gemm/Conv node(s), worst weight pair ");
    b.append("|w<sub>a</sub>|+|w<sub>b</sub>| = ").append(t.worstPairSum());
    b.append(" (AVX2 bound ").append(io.octet.cpu.KernelPairing.PAIR_BOUND).append("), ");
    b.append(t.saturableNodes()).append(" node(s) saturable on AVX2.</p><p>Validated with ONNX");
    b.append(" Runtime ").append(Html.esc(t.onnxRuntime())).append(" on: ");
    List<String> cpus = new java.util.ArrayList<>();
    t.validatedOn().forEach(c -> cpus.add("<code>" + Html.esc(c.toString()) + "</code>"));
    b.append(cpus.isEmpty() ? "(not recorded)" : String.join(", ", cpus)).append(".</p>");
    if (t.showsTarget()) {
      b.append("<p class=\"note\">These CPUs compute the same integers as the target's kernels");
      b.append(": the figures above hold on the target.</p>");
    } else {
      b.append("<p class=\"warn\"><strong>This validation cannot show the target's arithmetic");
      b.append(":</strong> ").append(Html.esc(t.cannotShow()));
      b.append(". Set <code>validation.require-target-cpu = true</code> to fail the gate on");
      b.append(" this.</p>");
    }
    return b.toString();
  }

  /** The resolved config as a key/value table (secrets were masked when parsed). */
  static String config(ModelResult m) {
    if (m.config().isEmpty()) {
      return "<p class=\"note\">The summary holds no config for this model.</p>";
    }
    StringBuilder b = new StringBuilder("<div class=\"wrap\"><table class=\"config\"><thead><tr>");
    b.append("<th>Key</th><th>Value</th></tr></thead><tbody>");
    for (Map.Entry<String, String> e : m.config().entrySet()) {
      b.append("<tr><td><code>").append(Html.esc(e.getKey())).append("</code></td><td><code>");
      b.append(Html.esc(e.getValue())).append("</code></td></tr>");
    }
    return b.append("</tbody></table></div>").toString();
  }
}
