package io.octet.report;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.onnx.OnnxModel;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.util.Json;
import io.octet.validate.Gate;
import io.octet.validate.Latency;
import io.octet.validate.ValidationMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Summary sections from engine results, spelled as in the run summary format. */
final class SummaryJson {
  private SummaryJson() {}

  static ObjectNode metrics(ValidationMetrics v) {
    ObjectNode o = Json.object();
    o.put("rows", v.rows());
    o.put("mean-cosine", v.meanCosine());
    o.put("min-cosine", v.minCosine());
    o.put("sqnr-db", v.sqnrDb());
    o.put("max-abs-error", v.maxAbsError());
    o.put("top1-agreement", v.top1Agreement());
    o.put("topk-agreement", v.topKAgreement());
    o.put("top-k", v.topK());
    o.put("fp32-accuracy", v.fp32Accuracy());
    o.put("int8-accuracy", v.int8Accuracy());
    o.put("labeled-rows", v.labeledRows());
    return o;
  }

  static ObjectNode latency(Latency.Comparison lat) {
    ObjectNode l = Json.object();
    l.put("fp32-ms-per-row", lat.msPerRowA());
    l.put("int8-ms-per-row", lat.msPerRowB());
    l.put("speedup", lat.speedup());
    return l;
  }

  /** Times both models side by side, as the validate stage does. */
  static Latency.Comparison latency(OnnxModel a, OnnxModel b, List<Sample> rows) {
    var settings = new OrtRuntime.SessionSettings(1, true);
    List<InputBatch> batches = new ArrayList<>();
    try (OrtSession sa = OrtRuntime.open(a, settings);
        OrtSession sb = OrtRuntime.open(b, settings)) {
      for (List<Sample> batch : Batching.byShape(rows, 32)) {
        batches.add(InputBatch.of(batch));
      }
      return Latency.compare(sa, sb, batches, 9);
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    } finally {
      batches.forEach(InputBatch::close);
    }
  }

  /** The gate of a map of thresholds (absent keys are not checked). */
  static Gate gate(Map<String, Double> g) {
    double nan = Double.NaN;
    return new Gate(
        g.getOrDefault("min-mean-cosine", nan),
        g.getOrDefault("min-cosine", nan),
        g.getOrDefault("min-sqnr-db", nan),
        g.getOrDefault("max-accuracy-drop-points", nan),
        g.getOrDefault("min-top1-agreement", nan),
        g.getOrDefault("max-latency-ratio", nan));
  }
}
