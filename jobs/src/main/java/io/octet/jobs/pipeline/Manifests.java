package io.octet.jobs.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.jobs.quantize.ConfigHash;
import io.octet.jobs.quantize.Versions;
import io.octet.jobs.validate.ValidationOutcome;
import io.octet.runtime.OrtRuntime;
import io.octet.storage.Uris;
import io.octet.util.Json;
import java.util.Map;

/** The manifest body: inputs' hashes, config, metrics, gate, versions, timings. */
public final class Manifests {
  private Manifests() {}

  /**
   * Builds the body the publisher completes with identity and artifact checksums.
   *
   * @param ctx the model's context
   * @param v the validation outcome
   * @param inputs the inputs' hashes
   * @param stages stage timings so far
   * @return the body
   */
  public static ObjectNode body(
      StageContext ctx,
      ValidationOutcome v,
      Fingerprints.Inputs inputs,
      Map<String, ModelOutcome.Stage> stages) {
    var m = ctx.model();
    ObjectNode b = Json.object();
    b.put("status", v.verdict().passed() ? ModelOutcome.PASSED : ModelOutcome.GATE_FAILED);
    b.put("mode", m.quantization().mode().configName());
    ObjectNode in = b.putObject("inputs");
    in.put("model-uri", Uris.redact(ctx.fp32Uri()));
    in.put("model-sha256", inputs.model());
    in.put(
        "calibration-dataset",
        m.calibration().dataset() == null ? null : Uris.redact(m.calibration().dataset()));
    in.put("calibration-fingerprint", inputs.calibration());
    in.put("validation-dataset", Uris.redact(m.validation().dataset()));
    in.put("validation-fingerprint", inputs.validation());
    in.put("config-sha256", inputs.config());
    ValidationOutcome.putMetrics(b.putObject("metrics"), v.metrics());
    if (v.latency() != null) {
      ObjectNode l = b.putObject("latency");
      ValidationOutcome.num(l, "fp32-ms-per-row", v.latency().msPerRowA());
      ValidationOutcome.num(l, "int8-ms-per-row", v.latency().msPerRowB());
      ValidationOutcome.num(l, "speedup", v.latency().speedup());
    }
    ObjectNode g = b.putObject("gate");
    g.put("passed", v.verdict().passed());
    ArrayNode f = g.putArray("failures");
    v.verdict().failures().forEach(f::add);
    SummaryJson.thresholds(g.putObject("thresholds"), m.validation().gate());
    if (v.target() != null) {
      // Which CPUs the artifact is for, and which CPUs the metrics above were measured on.
      v.target().putJson(b.putObject("target"));
    }
    ObjectNode ver = b.putObject("versions");
    ver.put("octet", Versions.octet());
    ver.put("onnxruntime", OrtRuntime.version());
    ver.put("spark", Versions.spark());
    ver.put("source-opset", ctx.fp32().opsetVersion(io.octet.onnx.OnnxModel.DEFAULT_DOMAIN));
    ObjectNode st = b.putObject("stages");
    stages.forEach((k, s) -> st.put(k, Math.round(s.seconds() * 1000) / 1000.0));
    String tuning = ctx.staged("tuning.json");
    if (ctx.store().exists(tuning)) {
      // Which nodes stayed FP32 and what every trial measured.
      b.set("tuning", Json.parse(ctx.store().readBytes(tuning), tuning));
    }
    String auto = ctx.staged(io.octet.jobs.tune.AutoSparkAction.RECORD);
    if (ctx.store().exists(auto)) {
      // Every candidate auto mode scored (fidelity, speed, size) and the recipe it chose.
      b.set("auto", Json.parse(ctx.store().readBytes(auto), auto));
    }
    b.set("config", Redaction.config(ConfigHash.tree(ctx.requestedModel())));
    return b;
  }
}
