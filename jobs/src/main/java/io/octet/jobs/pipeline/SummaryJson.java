package io.octet.jobs.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.jobs.quantize.Versions;
import io.octet.jobs.validate.ValidationOutcome;
import io.octet.runtime.OrtRuntime;
import io.octet.storage.Uris;
import io.octet.util.Json;
import io.octet.validate.Gate;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Builds the run summary JSON ({@code octet-run-summary/1}) that reports and scripts read. */
public final class SummaryJson {
  /** Format tag. */
  public static final String FORMAT = "octet-run-summary/1";

  private SummaryJson() {}

  /**
   * Builds the whole summary.
   *
   * @param runId the run id
   * @param started when the run started
   * @param finished when it finished
   * @param registry the registry source
   * @param warehouse the warehouse URI
   * @param models the outcomes
   * @return the JSON tree
   */
  public static ObjectNode summary(
      String runId,
      Instant started,
      Instant finished,
      String registry,
      String warehouse,
      List<ModelOutcome> models) {
    ObjectNode root = Json.object();
    root.put("format", FORMAT);
    root.put("run-id", runId);
    root.put("started", started.toString());
    root.put("finished", finished.toString());
    root.put("registry", Uris.redact(registry));
    root.put("warehouse", Uris.redact(warehouse));
    ObjectNode v = root.putObject("versions");
    v.put("octet", Versions.octet());
    v.put("onnxruntime", OrtRuntime.version());
    v.put("spark", Versions.spark());
    ArrayNode arr = root.putArray("models");
    for (ModelOutcome m : models) {
      arr.add(model(m, m.gate()));
    }
    return root;
  }

  /**
   * Builds one model's entry.
   *
   * @param m the outcome
   * @param gate the gate thresholds (for the report), or null
   * @return the JSON object
   */
  public static ObjectNode model(ModelOutcome m, Gate gate) {
    ObjectNode o = Json.object();
    o.put("name", m.name());
    o.put("version", m.version());
    o.put("status", m.status());
    o.put("mode", m.mode());
    if (m.method() == null) {
      o.putNull("method");
    } else {
      o.put("method", m.method());
    }
    if (m.error() == null) {
      o.putNull("error");
    } else {
      ObjectNode e = o.putObject("error");
      e.put("kind", m.error().kind());
      e.put("stage", m.error().stage());
      e.put("message", m.error().message());
    }
    if (!m.warnings().isEmpty()) {
      m.warnings().forEach(o.putArray("warnings")::add);
    }
    if (m.note() != null && !m.note().isEmpty()) {
      o.put("note", m.note());
    }
    ObjectNode st = o.putObject("stages");
    for (Map.Entry<String, ModelOutcome.Stage> s : m.stages().entrySet()) {
      ObjectNode so = st.putObject(s.getKey());
      so.put("seconds", Math.round(s.getValue().seconds() * 1000) / 1000.0);
      if (s.getValue().rows() >= 0) {
        so.put("rows", s.getValue().rows());
      }
    }
    ValidationOutcome v = m.validation();
    if (v == null) {
      o.putNull("metrics");
      o.putNull("latency");
    } else {
      ValidationOutcome.putMetrics(o.putObject("metrics"), v.metrics());
      if (v.latency() == null) {
        o.putNull("latency");
      } else {
        ObjectNode l = o.putObject("latency");
        ValidationOutcome.num(l, "fp32-ms-per-row", v.latency().msPerRowA());
        ValidationOutcome.num(l, "int8-ms-per-row", v.latency().msPerRowB());
        ValidationOutcome.num(l, "speedup", v.latency().speedup());
      }
    }
    ObjectNode size = o.putObject("size");
    size.put("fp32-bytes", m.fp32Bytes());
    if (v != null) {
      size.put("int8-bytes", v.int8Bytes());
    }
    ObjectNode g = o.putObject("gate");
    if (v == null) {
      g.putNull("passed");
      g.putArray("failures");
    } else {
      g.put("passed", v.verdict().passed());
      ArrayNode f = g.putArray("failures");
      v.verdict().failures().forEach(f::add);
    }
    ObjectNode th = g.putObject("thresholds");
    if (gate != null) {
      thresholds(th, gate);
    }
    ArrayNode ns = o.putArray("node-sqnr");
    if (v != null) {
      for (ValidationOutcome.NodeResult n : v.nodes()) {
        ObjectNode no = ns.addObject();
        no.put("node", n.node());
        no.put("op", n.op());
        no.put("output", n.output());
        ValidationOutcome.num(no, "sqnr-db", n.sqnrDb());
      }
    }
    if (v != null && v.target() != null) {
      v.target().putJson(o.putObject("target"));
    }
    ObjectNode a = o.putObject("artifacts");
    m.artifacts().forEach(a::put);
    if (m.tuning() != null) {
      o.set("tuning", m.tuning());
    }
    if (m.auto() != null) {
      o.set("auto", m.auto());
    }
    o.set("config", m.config());
    o.put("latest-moved", m.latestMoved());
    return o;
  }

  /**
   * Writes the configured thresholds (null ones omitted).
   *
   * @param th the object
   * @param gate the gate
   */
  public static void thresholds(ObjectNode th, Gate gate) {
    put(th, "min-mean-cosine", gate.minMeanCosine());
    put(th, "min-cosine", gate.minCosine());
    put(th, "min-sqnr-db", gate.minSqnrDb());
    put(th, "max-accuracy-drop-points", gate.maxAccuracyDropPoints());
    put(th, "min-top1-agreement", gate.minTop1Agreement());
    put(th, "max-latency-ratio", gate.maxLatencyRatio());
  }

  private static void put(ObjectNode o, String k, double v) {
    if (!Double.isNaN(v)) {
      o.put(k, v);
    }
  }
}
