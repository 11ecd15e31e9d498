package io.octet.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.report.ModelResult.Artifacts;
import io.octet.report.ModelResult.Failure;
import io.octet.report.ModelResult.GateOutcome;
import io.octet.report.ModelResult.Latency;
import io.octet.report.ModelResult.NodeSqnr;
import io.octet.report.ModelResult.Size;
import io.octet.report.ModelResult.Stage;
import io.octet.util.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads run summary JSON into records, tolerating absent and null sections. */
final class SummaryParser {
  private SummaryParser() {}

  static RunSummary parse(byte[] json, String source) {
    JsonNode root = Json.parse(json, source);
    String format = text(root, "format");
    if (!RunSummary.FORMAT.equals(format)) {
      throw new IllegalArgumentException(
          "'"
              + source
              + "' is not an Octet run summary: format is "
              + (format == null ? "missing" : "'" + format + "'")
              + ", expected '"
              + RunSummary.FORMAT
              + "'");
    }
    Map<String, String> versions = new LinkedHashMap<>();
    fields(root.path("versions")).forEach((k, v) -> versions.put(k, v.asText()));
    List<ModelResult> models = new ArrayList<>();
    for (JsonNode m : root.path("models")) {
      models.add(model(m));
    }
    return new RunSummary(
        format,
        text(root, "run-id"),
        text(root, "started"),
        text(root, "finished"),
        Secrets.redactUri(text(root, "registry")),
        Secrets.redactUri(text(root, "warehouse")),
        versions,
        models);
  }

  private static ModelResult model(JsonNode m) {
    Map<String, Stage> stages = new LinkedHashMap<>();
    fields(m.path("stages"))
        .forEach((k, v) -> stages.put(k, new Stage(num(v, "seconds"), count(v, "rows"))));
    List<NodeSqnr> nodes = new ArrayList<>();
    for (JsonNode n : m.path("node-sqnr")) {
      nodes.add(new NodeSqnr(text(n, "node"), text(n, "op"), text(n, "output"), num(n, "sqnr-db")));
    }
    return new ModelResult(
        text(m, "name"),
        text(m, "version"),
        ModelStatus.parse(text(m, "status")),
        text(m, "mode"),
        text(m, "method"),
        failure(m.path("error")),
        stages,
        fidelity(m.path("metrics")),
        latency(m.path("latency")),
        size(m.path("size")),
        gate(m.path("gate")),
        nodes,
        artifacts(m.path("artifacts")),
        Secrets.flatten(m.path("config")),
        m.path("latest-moved").isBoolean() ? m.path("latest-moved").booleanValue() : null,
        tuning(m.path("tuning")),
        io.octet.cpu.TargetValidation.fromJson(m.path("target")),
        auto(m.path("auto")));
  }

  private static ModelResult.Auto auto(JsonNode a) {
    if (!a.isObject()) {
      return null;
    }
    List<ModelResult.AutoCandidate> list = new ArrayList<>();
    for (JsonNode x : a.path("candidates")) {
      JsonNode mt = x.path("metrics");
      double fp32 = num(mt, "fp32-accuracy");
      double int8 = num(mt, "int8-accuracy");
      list.add(
          new ModelResult.AutoCandidate(
              text(x, "label"),
              text(x, "mode"),
              num(x, "objective"),
              num(mt, "mean-cosine"),
              num(mt, "min-cosine"),
              (fp32 - int8) * 100.0,
              num(x, "speedup"),
              x.path("bytes").isNumber() ? x.path("bytes").asLong() : -1,
              x.path("passed").asBoolean(),
              x.path("chosen").asBoolean(),
              x.hasNonNull("error") ? Secrets.redactUri(text(x, "error")) : null));
    }
    JsonNode cpu = a.path("timed-on");
    List<String> flags = new ArrayList<>();
    cpu.path("flags").forEach(f -> flags.add(f.asText()));
    String timedOn =
        cpu.isObject() ? (text(cpu, "arch") + " " + String.join(" ", flags)).trim() : "";
    JsonNode chosen = a.path("chosen");
    String label =
        list.stream()
            .filter(ModelResult.AutoCandidate::chosen)
            .map(ModelResult.AutoCandidate::label)
            .findFirst()
            .orElse(text(chosen, "family"));
    return new ModelResult.Auto(
        text(a, "objective"),
        label,
        a.path("passed-on-sample").asBoolean(),
        Math.max(0, count(a, "sample-rows")),
        timedOn,
        a.path("fp32-bytes").isNumber() ? a.path("fp32-bytes").asLong() : -1,
        list);
  }

  private static ModelResult.Tuning tuning(JsonNode t) {
    if (!t.isObject()) {
      return null;
    }
    List<String> nodes = new ArrayList<>();
    t.path("fp32-nodes").forEach(n -> nodes.add(n.asText()));
    List<ModelResult.TuningTrial> trials = new ArrayList<>();
    for (JsonNode x : t.path("trials")) {
      trials.add(
          new ModelResult.TuningTrial(
              text(x, "step"),
              text(x, "candidate"),
              (int) Math.max(0, count(x, "fp32-nodes")),
              num(x, "objective"),
              x.path("passed").asBoolean(),
              num(x, "speedup")));
    }
    return new ModelResult.Tuning(
        text(t, "objective"),
        text(t, "base"),
        nodes,
        t.path("passed-on-sample").asBoolean(),
        trials);
  }

  private static Failure failure(JsonNode e) {
    if (!e.isObject()) {
      return null;
    }
    return new Failure(text(e, "kind"), text(e, "stage"), Secrets.redactUri(text(e, "message")));
  }

  private static Fidelity fidelity(JsonNode n) {
    if (!n.isObject()) {
      return null;
    }
    return new Fidelity(
        count(n, "rows"),
        num(n, "mean-cosine"),
        num(n, "min-cosine"),
        num(n, "sqnr-db"),
        num(n, "max-abs-error"),
        num(n, "top1-agreement"),
        num(n, "topk-agreement"),
        (int) Math.max(0, count(n, "top-k")),
        num(n, "fp32-accuracy"),
        num(n, "int8-accuracy"),
        Math.max(0, count(n, "labeled-rows")));
  }

  private static Latency latency(JsonNode n) {
    if (!n.isObject()) {
      return null;
    }
    return new Latency(num(n, "fp32-ms-per-row"), num(n, "int8-ms-per-row"), num(n, "speedup"));
  }

  private static Size size(JsonNode n) {
    if (!n.isObject()) {
      return null;
    }
    return new Size(count(n, "fp32-bytes"), count(n, "int8-bytes"));
  }

  private static GateOutcome gate(JsonNode n) {
    if (!n.isObject()) {
      return null;
    }
    List<String> failures = new ArrayList<>();
    for (JsonNode f : n.path("failures")) {
      failures.add(f.asText());
    }
    Map<String, Double> thresholds = new LinkedHashMap<>();
    fields(n.path("thresholds"))
        .forEach(
            (k, v) -> {
              if (v.isNumber()) {
                thresholds.put(k, v.doubleValue());
              }
            });
    Boolean passed = n.path("passed").isBoolean() ? n.path("passed").booleanValue() : null;
    return new GateOutcome(passed, failures, thresholds);
  }

  private static Artifacts artifacts(JsonNode n) {
    if (!n.isObject()) {
      return null;
    }
    return new Artifacts(
        text(n, "prefix"),
        text(n, "model"),
        text(n, "calibration"),
        text(n, "report"),
        text(n, "manifest"));
  }

  private static Map<String, JsonNode> fields(JsonNode n) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    if (n.isObject()) {
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  /** A string field, or null when absent or JSON null; numbers and booleans as their text. */
  static String text(JsonNode n, String key) {
    JsonNode v = n.path(key);
    return v.isValueNode() && !v.isNull() ? v.asText() : null;
  }

  /** A number field, or NaN when absent, null or not a number. */
  static double num(JsonNode n, String key) {
    JsonNode v = n.path(key);
    return v.isNumber() ? v.doubleValue() : Double.NaN;
  }

  /** A whole-number field, or -1 when absent, null or not a number. */
  static long count(JsonNode n, String key) {
    JsonNode v = n.path(key);
    return v.isNumber() ? v.longValue() : -1;
  }
}
