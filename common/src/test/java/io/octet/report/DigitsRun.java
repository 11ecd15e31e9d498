package io.octet.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.engine.LocalEngine;
import io.octet.error.QuantException;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.runtime.OrtRuntime;
import io.octet.testing.DigitsData;
import io.octet.util.Json;
import io.octet.validate.Gate;
import io.octet.validate.Latency;
import io.octet.validate.Pooling;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A real run over the committed digits CNN, written as a warehouse: every number in the summary
 * comes from Octet's engine (calibration, quantization, validation, latency, per-node SQNR, gate
 * verdicts, error messages). Six registry entries cover each status and path of the report:
 *
 * <ul>
 *   <li>{@code digits-cnn}: MSE ranges, node SQNR measured, passes its gate;
 *   <li>{@code digits-cnn-percentile}: percentile ranges, node SQNR not measured (the report falls
 *       back to ranking tensors by clipped share);
 *   <li>{@code digits-cnn-strict}: minmax ranges and a gate no INT8 model can meet (gate-failed);
 *   <li>{@code digits-cnn-nan}: calibration rows of NaN pixels (fails in calibrate, NON_FINITE);
 *   <li>{@code digits-cnn-truncated}: the model file cut short (fails in load, BAD_MODEL);
 *   <li>{@code digits-cnn-legacy}: skipped as unchanged.
 * </ul>
 */
final class DigitsRun {
  private static final DateTimeFormatter RUN_ID =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  /**
   * The written run.
   *
   * @param warehouse the warehouse root
   * @param summary the summary as parsed back from the written JSON
   * @param tables calibration tables by model name
   * @param runPage the run page
   * @param modelPages model pages by model name
   */
  record Result(
      Path warehouse,
      RunSummary summary,
      Map<String, CalibrationTable> tables,
      Path runPage,
      Map<String, Path> modelPages) {}

  private record Spec(
      String name,
      String version,
      CalibrationMethod method,
      boolean nodeSqnr,
      Map<String, Double> gate,
      String kind) {}

  private final Path warehouse;
  private final String runId;
  private final OnnxModel fp32;
  private final List<Sample> calib = DigitsData.rows("calib");
  private final List<Sample> test = DigitsData.rows("test");
  private final Map<String, CalibrationTable> tables = new LinkedHashMap<>();

  private DigitsRun(Path warehouse, String runId) {
    this.warehouse = warehouse;
    this.runId = runId;
    this.fp32 = OnnxModelIO.read(DigitsData.model());
  }

  /** Runs the six entries and writes summary, artifacts and both kinds of page. */
  static Result write(Path warehouse) {
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    String runId =
        RUN_ID.format(started)
            + "-"
            + String.format(Locale.ROOT, "%06x", started.getEpochSecond() & 0xffffff);
    return new DigitsRun(warehouse, runId).run(started);
  }

  private Result run(Instant started) {
    List<Spec> specs =
        List.of(
            new Spec(
                "digits-cnn",
                "1",
                CalibrationMethod.MSE,
                true,
                gate(
                    "min-mean-cosine",
                    0.99,
                    "max-accuracy-drop-points",
                    0.5,
                    "min-top1-agreement",
                    0.98),
                "ok"),
            new Spec(
                "digits-cnn-percentile",
                "1",
                CalibrationMethod.PERCENTILE,
                false,
                gate("min-mean-cosine", 0.99, "max-latency-ratio", 4.0),
                "ok"),
            new Spec(
                "digits-cnn-strict",
                "2",
                CalibrationMethod.MINMAX,
                true,
                gate(
                    "min-mean-cosine",
                    0.9999,
                    "min-sqnr-db",
                    60.0,
                    "max-accuracy-drop-points",
                    0.0),
                "ok"),
            new Spec("digits-cnn-nan", "1", CalibrationMethod.MSE, true, gate(), "nan"),
            new Spec("digits-cnn-truncated", "1", CalibrationMethod.MSE, true, gate(), "truncated"),
            new Spec("digits-cnn-legacy", "3", CalibrationMethod.ENTROPY, true, gate(), "skipped"));
    ObjectNode root = Json.object();
    root.put("format", RunSummary.FORMAT);
    root.put("run-id", runId);
    root.put("started", started.toString());
    ArrayNode models = Json.MAPPER.createArrayNode();
    String opset = "";
    for (Spec s : specs) {
      ObjectNode m = models.addObject();
      entry(s, m);
      opset = Long.toString(fp32.opsetVersion(OnnxModel.DEFAULT_DOMAIN));
    }
    root.put("finished", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    root.put("registry", registry(specs).toUri().toString());
    root.put("warehouse", warehouse.toUri().toString());
    ObjectNode versions = root.putObject("versions");
    versions.put("octet", "0.1.0-SNAPSHOT");
    versions.put("onnxruntime", OrtRuntime.version());
    versions.put("opset", opset);
    root.set("models", models);
    byte[] json = Json.bytes(root);
    write("_runs/" + runId + "/summary.json", json);
    RunSummary summary = RunSummary.parse(json, "summary.json");
    return renderPages(summary);
  }

  /** The registry this run would have read: one entry per spec, beside the warehouse. */
  private Path registry(List<Spec> specs) {
    StringBuilder b = new StringBuilder("# The digits CNN sample run (written by DigitsRun).\n");
    b.append("warehouse = \"").append(warehouse.toUri()).append("\"\nmodels {\n");
    for (Spec s : specs) {
      b.append("  ").append(s.name()).append(" { version = \"").append(s.version());
      b.append("\", uri = \"")
          .append(DigitsData.model().toUri())
          .append("\", quantization.method = ");
      b.append(s.method().configName()).append(" }\n");
    }
    Path p = warehouse.resolveSibling("registry.conf");
    try {
      return Files.writeString(p, b.append("}\n").toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Result renderPages(RunSummary summary) {
    ReportOptions o = ReportOptions.defaults();
    Path runPage = write(RunReport.path(runId), RunReport.render(summary, tables, o));
    Map<String, Path> pages = new LinkedHashMap<>();
    for (ModelResult m : summary.models()) {
      if (RunReport.hasPage(m)) {
        String html = ModelReport.render(summary, m, tables.get(m.name()), o);
        pages.put(m.name(), write(ModelReport.path(summary, m), html));
      }
    }
    return new Result(warehouse, summary, tables, runPage, pages);
  }

  private void entry(Spec s, ObjectNode m) {
    m.put("name", s.name());
    m.put("version", s.version());
    m.put("mode", "static");
    m.put("method", s.method().configName());
    ObjectNode stages = Json.object();
    switch (s.kind()) {
      case "ok" -> quantize(s, m, stages);
      case "nan" -> failNonFinite(s, m, stages);
      case "truncated" -> failTruncated(m, stages);
      default -> {
        m.put("status", "skipped");
        m.putNull("error");
        m.put("latest-moved", false);
      }
    }
    m.set("stages", stages);
    m.set("config", ConfigFixture.json(s.name(), s.version(), s.method(), s.nodeSqnr(), s.gate()));
  }

  private void quantize(Spec s, ObjectNode m, ObjectNode stages) {
    QuantOptions opts = QuantOptions.defaults().withMethod(s.method());
    long t0 = System.nanoTime();
    Quantizer.Prepared p = Quantizer.prepare(fp32, opts);
    CalibrationTable table = LocalEngine.calibrate(p, calib, 32, 4096, 2);
    long t1 = stage(stages, "calibrate", t0, table.rows());
    OnnxModel int8 = Quantizer.quantize(fp32, opts, p, table, Map.of());
    byte[] int8Bytes = OnnxModelIO.toBytes(int8.proto());
    long t2 = stage(stages, "quantize", t1, -1);
    ValidationMetrics v =
        LocalEngine.validate(
            fp32, int8, test, new ValidationOptions("", Pooling.NONE, "", 5), 64, 2);
    Latency.Comparison lat = SummaryJson.latency(fp32, int8, test);
    List<NodeSqnrProbe.Measured> nodes =
        s.nodeSqnr() ? NodeSqnrProbe.measure(p, int8, test) : List.of();
    long t3 = stage(stages, "validate", t2, v.rows());
    Gate.Verdict verdict = SummaryJson.gate(s.gate()).evaluate(v, lat.ratio());
    String prefix = s.name() + "/" + s.version() + "/" + runId + "/";
    write(prefix + "model.int8.onnx", int8Bytes);
    write(prefix + "calibration.json", table.toJson());
    write(prefix + "manifest.json", manifest(s, prefix, table, int8Bytes));
    stage(stages, "publish", t3, -1);
    tables.put(s.name(), table);
    m.put("status", verdict.passed() ? "passed" : "gate-failed");
    m.putNull("error");
    m.set("metrics", SummaryJson.metrics(v));
    m.set("latency", SummaryJson.latency(lat));
    ObjectNode size = m.putObject("size");
    size.put("fp32-bytes", sizeOf(DigitsData.model()));
    size.put("int8-bytes", int8Bytes.length);
    ObjectNode g = m.putObject("gate");
    g.put("passed", verdict.passed());
    verdict.failures().forEach(g.putArray("failures")::add);
    ObjectNode th = g.putObject("thresholds");
    s.gate().forEach(th::put);
    ArrayNode ns = m.putArray("node-sqnr");
    for (NodeSqnrProbe.Measured n : nodes) {
      ns.addObject()
          .put("node", n.node())
          .put("op", n.op())
          .put("output", n.output())
          .put("sqnr-db", n.sqnrDb());
    }
    ObjectNode a = m.putObject("artifacts");
    a.put("prefix", prefix);
    a.put("model", prefix + "model.int8.onnx");
    a.put("calibration", prefix + "calibration.json");
    a.put("report", prefix + "report.html");
    a.put("manifest", prefix + "manifest.json");
    m.put("latest-moved", verdict.passed());
  }

  private void failNonFinite(Spec s, ObjectNode m, ObjectNode stages) {
    // A calibration set whose pixels are all NaN, as a broken export would give.
    List<Sample> nan = new ArrayList<>();
    for (Sample r : calib) {
      float[] px = new float[64];
      Arrays.fill(px, Float.NaN);
      nan.add(
          new Sample(
              r.id(), Map.of("image", TensorValue.ofFloats(new long[] {1, 8, 8}, px)), r.label()));
    }
    long t0 = System.nanoTime();
    try {
      LocalEngine.calibrate(
          Quantizer.prepare(fp32, QuantOptions.defaults().withMethod(s.method())),
          nan,
          32,
          4096,
          2);
      throw new IllegalStateException("Calibrating on NaN rows should have failed");
    } catch (QuantException e) {
      stage(stages, "calibrate", t0, nan.size());
      failed(m, e, "calibrate");
    }
  }

  private void failTruncated(ObjectNode m, ObjectNode stages) {
    long t0 = System.nanoTime();
    try {
      byte[] all = Files.readAllBytes(DigitsData.model());
      OnnxModelIO.read(Arrays.copyOf(all, all.length / 3), "digits_cnn_truncated.onnx");
      throw new IllegalStateException("Reading a truncated model should have failed");
    } catch (QuantException e) {
      stage(stages, "load", t0, -1);
      failed(m, e, "load");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void failed(ObjectNode m, QuantException e, String stage) {
    m.put("status", "failed");
    ObjectNode err = m.putObject("error");
    err.put("kind", e.kind().name());
    err.put("stage", stage);
    err.put("message", e.getMessage());
    m.put("latest-moved", false);
  }

  private byte[] manifest(Spec s, String prefix, CalibrationTable table, byte[] int8) {
    ObjectNode o = Json.object();
    o.put("run-id", runId);
    o.put("model", s.name());
    o.put("version", s.version());
    ObjectNode files = o.putObject("files");
    files.put(prefix + "model.int8.onnx", int8.length);
    files.put(prefix + "calibration.json", table.toJson().length);
    return Json.bytes(o);
  }

  private static Map<String, Double> gate(Object... kv) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], (Double) kv[i + 1]);
    }
    return m;
  }

  private static long stage(ObjectNode stages, String name, long t0, long rows) {
    long now = System.nanoTime();
    ObjectNode st = stages.putObject(name);
    st.put("seconds", Math.round((now - t0) / 1e6) / 1e3);
    if (rows >= 0) {
      st.put("rows", rows);
    }
    return now;
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path write(String rel, String text) {
    return write(rel, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private Path write(String rel, byte[] bytes) {
    try {
      Path p = warehouse.resolve(rel);
      Files.createDirectories(p.getParent());
      return Files.write(p, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
