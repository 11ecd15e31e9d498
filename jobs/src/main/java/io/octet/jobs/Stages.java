package io.octet.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.config.ModelConfig;
import io.octet.config.RegistryConfig;
import io.octet.jobs.cli.Args;
import io.octet.jobs.pipeline.Fingerprints;
import io.octet.jobs.pipeline.ModelPipeline;
import io.octet.jobs.pipeline.Progress;
import io.octet.jobs.pipeline.StageContext;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.jobs.spark.SparkMemory;
import io.octet.jobs.spark.SparkSessions;
import io.octet.jobs.validate.ValidationOutcome;
import io.octet.publish.Publisher;
import io.octet.publish.RunIds;
import io.octet.quant.QuantMode;
import io.octet.storage.Uris;
import io.octet.util.Hashing;
import io.octet.util.Json;
import java.io.PrintStream;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** The single-stage commands (calibrate, quantize, validate, publish) for one model. */
final class Stages {
  private Stages() {}

  static int run(Args a, RegistryConfig reg, PrintStream out) {
    ModelConfig m = Main.model(reg, a.require("model"));
    String runId;
    if (a.command().equals("calibrate")) {
      runId = a.options().getOrDefault("run-id", RunIds.next());
    } else {
      runId = a.require("run-id");
    }
    if (!RunIds.isValid(runId)) {
      throw new Args.UsageException(
          "--run-id '" + runId + "' is not a run id like 20261129T153000Z-3f9a1c.");
    }
    SparkSession spark =
        SparkSessions.getOrCreate(
            "octet-" + a.command() + "-" + m.name(),
            reg.spark(),
            reg.hadoop(),
            reg.run().executorSessions());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), reg.hadoop());
    StageContext ctx = new StageContext(spark, reg, m, runId, store);
    ModelPipeline p = new ModelPipeline(ctx, new Progress(out));
    String marker = ctx.staged("skipped.json");
    if (!a.command().equals("calibrate") && store.exists(marker)) {
      out.printf("[octet] %s unchanged: %s skipped%n", m.name(), a.command());
      if (a.command().equals("publish")) {
        store.delete(Uris.join(ctx.warehouse(), "_staging", runId, m.name()));
      }
      return 0;
    }
    if (!a.command().equals("calibrate") && m.quantization().mode() == QuantMode.AUTO) {
      io.octet.jobs.tune.AutoSparkAction.resume(ctx);
    }
    switch (a.command()) {
      case "calibrate" -> {
        // The first stage decides for the whole run, as `run` does: unchanged inputs since the
        // last promoted run mean nothing to do, unless forced.
        Fingerprints.Inputs inputs = Fingerprints.of(ctx);
        var latest = new Publisher(store, ctx.warehouse()).latest(m.name());
        if (!a.switches().contains("force")
            && !reg.run().force()
            && latest.isPresent()
            && latest.get().inputsHash().equals(inputs.combined())) {
          ObjectNode skip = Json.object();
          skip.put("model", m.name());
          skip.put("run-id", runId);
          skip.put("latest-run-id", latest.get().runId());
          skip.put("reason", "inputs unchanged since run " + latest.get().runId());
          store.writeBytes(marker, Json.bytes(skip));
          store.writeBytes(
              Uris.join(ctx.warehouse(), "_runs", runId, "skipped", m.name() + ".json"),
              Json.bytes(skip));
          out.printf(
              "[octet] %s unchanged since run %s: skipped (use --force to redo)%n",
              m.name(), latest.get().runId());
          return 0;
        }
        if (m.quantization().mode() == QuantMode.STATIC
            || m.quantization().mode() == QuantMode.AUTO) {
          var budget = ctx.memoryBudget();
          out.println("[octet] memory budget: " + budget.describe());
          if (m.quantization().mode() == QuantMode.AUTO) {
            // Auto mode chooses its recipe here, calibrating once when a static one applies;
            // the later stages of the run read the choice from staging.
            p.auto();
          } else {
            p.calibrate();
          }
          SparkMemory.peakLine(ctx.spark().sparkContext(), budget).ifPresent(out::println);
        } else {
          out.printf(
              "[octet] %s uses mode %s: no calibration needed%n",
              m.name(), m.quantization().mode().configName());
        }
        out.printf(
            "[octet] run id %s (pass --run-id %s to quantize, validate and publish)%n",
            runId, runId);
        return 0;
      }
      case "quantize" -> {
        p.quantize();
        return 0;
      }
      case "validate" -> {
        String staged = ctx.staged("model.int8.onnx");
        String sha = Hashing.sha256(store.open(staged));
        List<String> data =
            store.exists(ctx.staged("model.int8.onnx.data"))
                ? List.of("model.int8.onnx.data")
                : List.of();
        ValidationOutcome v = p.validate(sha, data);
        return v.verdict().passed() ? 0 : 1;
      }
      case "publish" -> {
        String vUri = ctx.staged("validation.json");
        ValidationOutcome v = ValidationOutcome.fromJson(store.readBytes(vUri), vUri);
        p.publish(v, Fingerprints.of(ctx));
        store.delete(Uris.join(ctx.warehouse(), "_staging", runId, m.name()));
        if (store.list(Uris.join(ctx.warehouse(), "_staging", runId)).isEmpty()) {
          store.delete(Uris.join(ctx.warehouse(), "_staging", runId));
        }
        return v.verdict().passed() ? 0 : 1;
      }
      default -> throw new Args.UsageException("Unknown stage " + a.command());
    }
  }
}
