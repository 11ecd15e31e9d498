package io.octet.jobs.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.cpu.TargetValidation;
import io.octet.util.Json;
import io.octet.validate.Gate;
import io.octet.validate.Latency;
import io.octet.validate.ValidationMetrics;
import java.util.ArrayList;
import java.util.List;

/**
 * What validation decided for one model, as staged in {@code validation.json} and copied into the
 * manifest and the run summary.
 *
 * @param metrics FP32-vs-INT8 metrics
 * @param nodes per-node SQNR (sensitivity)
 * @param latency side-by-side latency, or null when skipped
 * @param verdict the gate's verdict
 * @param int8Bytes size of the INT8 model (with external data)
 * @param output the model output the metrics and the gate were computed on
 * @param outputRule why that output: "validation.output" (named in the registry) or "only output"
 *     or "first of N outputs" (no labels, a warning was given)
 * @param labelsOutOfRange labelled rows whose label is not an index of the output (counted as wrong
 *     for accuracy)
 * @param target the artifact's CPU target, its weight check and the CPUs that validated it, or null
 *     (outcomes staged by older versions)
 * @param latencySource where the latency was measured: "tasks" (the comparison pass, executor
 *     threads; {@code rounds} then counts batches) or "driver" (latency-threads, latency-rounds)
 */
public record ValidationOutcome(
    ValidationMetrics metrics,
    List<NodeResult> nodes,
    Latency.Comparison latency,
    Gate.Verdict verdict,
    long int8Bytes,
    String output,
    String outputRule,
    long labelsOutOfRange,
    TargetValidation target,
    String latencySource) {

  /** Copies the list. */
  public ValidationOutcome {
    nodes = List.copyOf(nodes);
    output = output == null ? "" : output;
    outputRule = outputRule == null ? "" : outputRule;
    latencySource = latency == null ? "" : latencySource == null ? "driver" : latencySource;
  }

  /**
   * One quantized node's sensitivity.
   *
   * @param node node name
   * @param op operator type
   * @param output output tensor
   * @param sqnrDb SQNR in dB
   */
  public record NodeResult(String node, String op, String output, double sqnrDb) {}

  /**
   * Writes the metrics block used by summaries and manifests.
   *
   * @param o the object to fill
   * @param m the metrics
   */
  public static void putMetrics(ObjectNode o, ValidationMetrics m) {
    o.put("rows", m.rows());
    num(o, "mean-cosine", m.meanCosine());
    num(o, "min-cosine", m.minCosine());
    num(o, "sqnr-db", m.sqnrDb());
    num(o, "max-abs-error", m.maxAbsError());
    num(o, "top1-agreement", m.top1Agreement());
    num(o, "topk-agreement", m.topKAgreement());
    o.put("top-k", m.topK());
    num(o, "fp32-accuracy", m.fp32Accuracy());
    num(o, "int8-accuracy", m.int8Accuracy());
    o.put("labeled-rows", m.labeledRows());
    o.put("non-finite-rows", m.nonFiniteRows());
  }

  /**
   * Writes a number, or null when it is NaN or infinite (JSON has neither).
   *
   * @param o the object
   * @param k the key
   * @param v the value
   */
  public static void num(ObjectNode o, String k, double v) {
    if (Double.isFinite(v)) {
      o.put(k, v);
    } else {
      o.putNull(k);
    }
  }

  /**
   * Serializes the outcome.
   *
   * @return JSON bytes
   */
  public byte[] toJson() {
    ObjectNode root = Json.object();
    root.put("format", "octet-validation/1");
    root.put("output", output);
    root.put("output-rule", outputRule);
    root.put("labels-out-of-range", labelsOutOfRange);
    putMetrics(root.putObject("metrics"), metrics);
    if (latency != null) {
      ObjectNode l = root.putObject("latency");
      num(l, "fp32-ms-per-row", latency.msPerRowA());
      num(l, "int8-ms-per-row", latency.msPerRowB());
      num(l, "speedup", latency.speedup());
      l.put("rounds", latency.rounds());
      l.put("source", latencySource);
    } else {
      root.putNull("latency");
    }
    ObjectNode g = root.putObject("gate");
    g.put("passed", verdict.passed());
    ArrayNode f = g.putArray("failures");
    verdict.failures().forEach(f::add);
    root.put("int8-bytes", int8Bytes);
    if (target != null) {
      target.putJson(root.putObject("target"));
    }
    ArrayNode ns = root.putArray("node-sqnr");
    for (NodeResult n : nodes) {
      ObjectNode o = ns.addObject();
      o.put("node", n.node());
      o.put("op", n.op());
      o.put("output", n.output());
      num(o, "sqnr-db", n.sqnrDb());
    }
    return Json.bytes(root);
  }

  /**
   * Parses a staged outcome.
   *
   * @param bytes the JSON
   * @param source where it came from
   * @return the outcome
   */
  public static ValidationOutcome fromJson(byte[] bytes, String source) {
    JsonNode r = Json.parse(bytes, source);
    JsonNode m = r.path("metrics");
    ValidationMetrics metrics =
        new ValidationMetrics(
            m.path("rows").asLong(),
            d(m, "mean-cosine"),
            d(m, "min-cosine"),
            d(m, "sqnr-db"),
            d(m, "max-abs-error"),
            d(m, "top1-agreement"),
            d(m, "topk-agreement"),
            m.path("top-k").asInt(),
            d(m, "fp32-accuracy"),
            d(m, "int8-accuracy"),
            m.path("labeled-rows").asLong(),
            m.path("non-finite-rows").asLong());
    Latency.Comparison lat = null;
    if (r.path("latency").isObject()) {
      JsonNode l = r.path("latency");
      lat =
          new Latency.Comparison(
              d(l, "fp32-ms-per-row"), d(l, "int8-ms-per-row"), l.path("rounds").asInt());
    }
    List<String> failures = new ArrayList<>();
    r.path("gate").path("failures").forEach(x -> failures.add(x.asText()));
    List<NodeResult> nodes = new ArrayList<>();
    for (JsonNode n : r.path("node-sqnr")) {
      nodes.add(
          new NodeResult(
              n.path("node").asText(),
              n.path("op").asText(),
              n.path("output").asText(),
              d(n, "sqnr-db")));
    }
    return new ValidationOutcome(
        metrics,
        nodes,
        lat,
        new Gate.Verdict(r.path("gate").path("passed").asBoolean(), failures),
        r.path("int8-bytes").asLong(),
        r.path("output").asText(""),
        r.path("output-rule").asText(""),
        r.path("labels-out-of-range").asLong(),
        TargetValidation.fromJson(r.path("target")),
        r.path("latency").path("source").asText("driver"));
  }

  private static double d(JsonNode o, String k) {
    JsonNode v = o.path(k);
    return v.isNumber() ? v.asDouble() : Double.NaN;
  }
}
