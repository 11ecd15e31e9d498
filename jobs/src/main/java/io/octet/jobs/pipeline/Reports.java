package io.octet.jobs.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.calib.CalibrationTable;
import io.octet.jobs.quantize.ConfigHash;
import io.octet.jobs.validate.ValidationOutcome;
import io.octet.report.ModelReport;
import io.octet.report.ReportOptions;
import io.octet.report.RunReport;
import io.octet.report.RunSummary;
import io.octet.storage.Uris;
import io.octet.util.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Writes the HTML reports: one per model next to its artifacts, one per run. */
public final class Reports {
  private Reports() {}

  /**
   * Renders a model's report page from what is known at publish time.
   *
   * @param ctx the model's context
   * @param v its validation outcome
   * @param out the local file to write
   */
  public static void writeModelReport(StageContext ctx, ValidationOutcome v, Path out) {
    var m = ctx.model();
    boolean passed = v.verdict().passed();
    String prefix =
        Uris.relativize(
            ctx.warehouse(), Uris.join(ctx.warehouse(), m.name(), m.version(), ctx.runId()));
    Map<String, String> artifacts = new java.util.LinkedHashMap<>();
    artifacts.put("prefix", prefix + "/");
    artifacts.put("model", prefix + "/model.int8.onnx");
    CalibrationTable table = null;
    if (ctx.store().exists(ctx.staged("calibration.json"))) {
      artifacts.put("calibration", prefix + "/calibration.json");
      table =
          CalibrationTable.fromJson(
              ctx.store().readBytes(ctx.staged("calibration.json")), "calibration.json");
    }
    artifacts.put("report", prefix + "/report.html");
    artifacts.put("manifest", prefix + "/manifest.json");
    ModelOutcome o =
        new ModelOutcome(
            m.name(),
            m.version(),
            passed ? ModelOutcome.PASSED : ModelOutcome.GATE_FAILED,
            m.quantization().mode().configName(),
            m.quantization().mode().needsCalibration()
                ? m.quantization().method().configName()
                : null,
            null,
            Map.of(),
            v,
            fileSize(ctx),
            artifacts,
            Redaction.config(ConfigHash.tree(ctx.requestedModel())),
            m.validation().gate(),
            passed,
            "",
            tuning(ctx),
            staged(ctx, io.octet.jobs.tune.AutoSparkAction.RECORD),
            ctx.warnings());
    ObjectNode summary =
        SummaryJson.summary(
            ctx.runId(),
            Instant.now(),
            Instant.now(),
            ctx.registry().source(),
            ctx.warehouse(),
            List.of(o));
    RunSummary run = RunSummary.parse(Json.bytes(summary), "model report");
    String html = ModelReport.render(run, run.models().get(0), table, ReportOptions.defaults());
    write(out, html);
  }

  /**
   * Renders the run's report page.
   *
   * @param summary the run summary JSON
   * @param tables calibration tables by model
   * @param out the local file
   */
  public static void writeRunReport(
      ObjectNode summary, Map<String, CalibrationTable> tables, Path out) {
    RunSummary run = RunSummary.parse(Json.bytes(summary), "run summary");
    write(out, RunReport.render(run, new HashMap<>(tables), ReportOptions.defaults()));
  }

  private static com.fasterxml.jackson.databind.JsonNode tuning(StageContext ctx) {
    return staged(ctx, "tuning.json");
  }

  private static com.fasterxml.jackson.databind.JsonNode staged(StageContext ctx, String name) {
    String uri = ctx.staged(name);
    return ctx.store().exists(uri) ? Json.parse(ctx.store().readBytes(uri), uri) : null;
  }

  private static long fileSize(StageContext ctx) {
    try {
      return Files.size(ctx.scratch().resolve("fp32").resolve(Uris.fileName(ctx.fp32Uri())));
    } catch (IOException e) {
      return -1;
    }
  }

  private static void write(Path out, String html) {
    try {
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, html);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
