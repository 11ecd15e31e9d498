package io.octet.jobs.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.error.QuantException;
import io.octet.jobs.calibrate.CalibrateSparkAction;
import io.octet.jobs.quantize.ConfigHash;
import io.octet.jobs.quantize.QuantizeSparkAction;
import io.octet.jobs.quantize.QuantizeTask;
import io.octet.jobs.tune.TuneSparkAction;
import io.octet.jobs.validate.ValidateSparkAction;
import io.octet.jobs.validate.ValidationOutcome;
import io.octet.publish.Publisher;
import io.octet.quant.QuantMode;
import io.octet.storage.Uris;
import io.octet.util.Hashing;
import io.octet.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One model through the stages: skip check, calibrate, quantize, validate, publish. Every failure
 * is caught here and becomes a failed {@link ModelOutcome}, so other models carry on.
 */
public final class ModelPipeline {
  private final StageContext ctx;
  private final Progress progress;
  private final Publisher publisher;
  private final Map<String, ModelOutcome.Stage> stages = new LinkedHashMap<>();
  private String currentStage = "load";

  /**
   * Creates the pipeline for one model.
   *
   * @param ctx the model's context
   * @param progress where progress lines go
   */
  public ModelPipeline(StageContext ctx, Progress progress) {
    this.ctx = ctx;
    this.progress = progress;
    this.publisher = new Publisher(ctx.store(), ctx.warehouse());
  }

  /**
   * Runs every stage.
   *
   * @param force re-run even when the inputs are unchanged
   * @return the outcome (never throws for model errors)
   */
  public ModelOutcome run(boolean force) {
    var m = ctx.model();
    try {
      currentStage = "load";
      Fingerprints.Inputs inputs = timed("inputs", () -> Fingerprints.of(ctx), -1);
      Optional<Publisher.Latest> latest = publisher.latest(m.name());
      if (!force && latest.isPresent() && latest.get().inputsHash().equals(inputs.combined())) {
        progress.line(
            m.name(), "skip", "unchanged since run %s (use --force to redo)", latest.get().runId());
        return outcome(
            ModelOutcome.SKIPPED,
            null,
            null,
            Map.of(),
            false,
            "inputs unchanged since run " + latest.get().runId());
      }
      if (m.quantization().mode() == QuantMode.AUTO) {
        auto();
      } else if (m.quantization().mode() == QuantMode.STATIC) {
        calibrate();
      }
      QuantizeTask.Outcome q = quantize();
      ValidationOutcome v = validate(q.sha256(), q.dataFiles());
      if (!v.verdict().passed()
          && m.tuning().enabled()
          && ctx.model().quantization().mode() == QuantMode.STATIC) {
        TuneSparkAction.Result t = tune();
        v = validate(t.sha256(), List.of());
      }
      Map<String, String> artifacts = publish(v, inputs);
      boolean passed = v.verdict().passed();
      return outcome(
          passed ? ModelOutcome.PASSED : ModelOutcome.GATE_FAILED,
          null,
          v,
          artifacts,
          passed,
          passed ? "" : String.join("; ", v.verdict().failures()));
    } catch (Exception | Error e) {
      // Spark also throws checked SparkExceptions undeclared, and Hadoop reports a full disk as
      // FSError, an Error: whatever it is, it is this model's failure, not the run's.
      return failed(e);
    } finally {
      // Best effort: a failed cleanup (storage unreachable) must not replace the model's outcome
      // with a crash of the whole run; staging is never read by anyone but this run.
      String staging = Uris.join(ctx.warehouse(), "_staging", ctx.runId(), m.name());
      try {
        ctx.store().delete(staging);
      } catch (RuntimeException | Error e) {
        org.slf4j.LoggerFactory.getLogger(ModelPipeline.class)
            .warn("Could not clean up {}: {}", Uris.redact(staging), e.getMessage());
      }
    }
  }

  /**
   * Turns a failure into the model's outcome: one line on the console, the stack trace in the log.
   *
   * @param e the failure
   * @return the failed outcome
   */
  ModelOutcome failed(Throwable e) {
    ModelOutcome.Error error = report(ctx.model(), currentStage, e, progress);
    return outcome(ModelOutcome.FAILED, error, null, Map.of(), false, error.message());
  }

  /**
   * The outcome of a model whose pipeline could not even start or died outside its own handling
   * (its stage context could not be made, or the JVM ran out of memory): a failed model, never a
   * crash of the run.
   *
   * @param m the model
   * @param e the failure
   * @param progress where the one-line reason goes
   * @return the failed outcome
   */
  public static ModelOutcome crashed(
      io.octet.config.ModelConfig m, Throwable e, Progress progress) {
    ModelOutcome.Error error = report(m, "load", e, progress);
    return new ModelOutcome(
        m.name(),
        m.version(),
        ModelOutcome.FAILED,
        m.quantization().mode().configName(),
        m.quantization().mode() == QuantMode.STATIC ? m.quantization().method().configName() : null,
        error,
        Map.of(),
        null,
        -1,
        Map.of(),
        Redaction.config(ConfigHash.tree(m)),
        m.validation().gate(),
        false,
        error.message(),
        null,
        null,
        List.of());
  }

  /**
   * One failure, told once: a line on the console, the trace in the log file (at INFO: the console
   * shows WARN and up unless --verbose), and the error for the outcome.
   */
  private static ModelOutcome.Error report(
      io.octet.config.ModelConfig m, String stage, Throwable e, Progress progress) {
    QuantException qe = Failures.userFacing(e);
    String kind = qe != null ? qe.kind().name() : "INTERNAL";
    String msg = named(m.name(), qe != null ? qe.getMessage() : Failures.describe(e));
    progress.line(m.name(), "FAILED", "%s: %s", stage, Failures.oneLine(msg));
    org.slf4j.LoggerFactory.getLogger(ModelPipeline.class)
        .info("Model {} failed in {}", m.name(), stage, e);
    return new ModelOutcome.Error(kind, stage, msg);
  }

  /**
   * Prefixes an error message with the model's name unless it already names it: storage and ONNX
   * errors name a URI or file, and logs, summaries and exception traces read on their own.
   */
  static String named(String model, String message) {
    String tag = "Model '" + model + "'";
    return message.contains(tag) ? message : tag + ": " + message;
  }

  /**
   * Runs auto mode's search (calibration included, when a static recipe applies) and points the
   * context at the chosen recipe.
   *
   * @return what it chose
   */
  public io.octet.jobs.tune.AutoSparkAction.Result auto() {
    currentStage = "auto";
    String name = ctx.model().name();
    io.octet.jobs.tune.AutoSparkAction.Result r =
        timedStage(
            "auto",
            () ->
                new io.octet.jobs.tune.AutoSparkAction(
                        ctx, line -> progress.line(name, "auto", "%s", line))
                    .execute());
    stages.put("auto", new ModelOutcome.Stage(stages.get("auto").seconds(), r.calibrated()));
    progress.line(
        name,
        "auto",
        "%d candidates scored in %.1f s; quantizing with %s",
        r.candidates(),
        stages.get("auto").seconds(),
        r.chosen().label());
    return r;
  }

  /** Runs the calibrate stage. */
  public void calibrate() {
    currentStage = "calibrate";
    CalibrateSparkAction.Result r =
        timedStage("calibrate", () -> new CalibrateSparkAction(ctx).execute());
    stages.put("calibrate", new ModelOutcome.Stage(stages.get("calibrate").seconds(), r.rows()));
    progress.line(
        ctx.model().name(),
        "calibrate",
        "%d rows, %d partitions, %d tensors in %.1f s",
        r.rows(),
        r.partitions(),
        r.table().tensors().size(),
        stages.get("calibrate").seconds());
  }

  /**
   * Runs the quantize stage.
   *
   * @return the staged model
   */
  public QuantizeTask.Outcome quantize() {
    currentStage = "quantize";
    QuantizeTask.Outcome q = timedStage("quantize", () -> new QuantizeSparkAction(ctx).execute());
    progress.line(
        ctx.model().name(),
        "quantize",
        "%s, %.1f MB in %.1f s",
        ctx.model().quantization().mode().configName(),
        q.bytes() / 1e6,
        stages.get("quantize").seconds());
    return q;
  }

  /**
   * Runs the tuning stage (the model missed its gate).
   *
   * @return the tuned, staged model
   */
  public TuneSparkAction.Result tune() {
    currentStage = "tune";
    TuneSparkAction.Result t = timedStage("tune", () -> new TuneSparkAction(ctx).execute());
    progress.line(
        ctx.model().name(),
        "tune",
        "%d trials, %d node(s) kept in FP32%s, base %s in %.1f s",
        t.tuned().trials().size(),
        t.tuned().fp32Nodes().size(),
        t.tuned().passed() ? "" : " (gate still missed on the sample)",
        t.tuned().base().label(),
        stages.get("tune").seconds());
    return t;
  }

  /**
   * Runs the validate stage.
   *
   * @param int8Sha the staged model's hash
   * @param dataFiles its external data files
   * @return the outcome
   */
  public ValidationOutcome validate(String int8Sha, List<String> dataFiles) {
    currentStage = "validate";
    ValidationOutcome v =
        timedStage("validate", () -> new ValidateSparkAction(ctx).execute(int8Sha, dataFiles));
    stages.put(
        "validate", new ModelOutcome.Stage(stages.get("validate").seconds(), v.metrics().rows()));
    progress.line(
        ctx.model().name(),
        "validate",
        "%d rows, mean cos %.4f, SQNR %.1f dB, %s%s in %.1f s",
        v.metrics().rows(),
        v.metrics().meanCosine(),
        v.metrics().sqnrDb(),
        v.latency() == null
            ? ""
            : String.format(java.util.Locale.ROOT, "%.2fx faster, ", v.latency().speedup()),
        v.verdict().passed()
            ? "gate passed"
            : "GATE FAILED (" + String.join("; ", v.verdict().failures()) + ")",
        stages.get("validate").seconds());
    if (v.target() != null && v.target().integerNodes() > 0) {
      progress.line(
          ctx.model().name(),
          "validate",
          "target %s (%s weights, worst pair %d of %d): %s",
          v.target().target(),
          v.target().weightEncoding(),
          v.target().worstPairSum(),
          io.octet.cpu.KernelPairing.PAIR_BOUND,
          v.target().showsTarget()
              ? "validated on " + v.target().validatedOn()
              : "NOT SHOWN by this validation: " + v.target().cannotShow());
    }
    return v;
  }

  /**
   * Publishes the staged artifacts; moves {@code latest} only when the gate passed.
   *
   * @param v the validation outcome
   * @param inputs the inputs' hashes
   * @return artifact paths relative to the warehouse
   */
  public Map<String, String> publish(ValidationOutcome v, Fingerprints.Inputs inputs) {
    currentStage = "publish";
    return timedStage("publish", () -> doPublish(v, inputs));
  }

  private Map<String, String> doPublish(ValidationOutcome v, Fingerprints.Inputs inputs) {
    var m = ctx.model();
    Path dir = ctx.scratch().resolve("publish");
    List<Publisher.Artifact> artifacts = new ArrayList<>();
    List<String> names = new ArrayList<>(List.of("model.int8.onnx"));
    if (ctx.store().exists(ctx.staged("model.int8.onnx.data"))) {
      names.add("model.int8.onnx.data");
    }
    if (m.quantization().mode() == QuantMode.STATIC) {
      names.add("calibration.json");
    }
    names.add("validation.json");
    if (ctx.store().exists(ctx.staged("tuning.json"))) {
      names.add("tuning.json");
    }
    if (ctx.store().exists(ctx.staged(io.octet.jobs.tune.AutoSparkAction.RECORD))) {
      names.add(io.octet.jobs.tune.AutoSparkAction.RECORD);
    }
    for (String n : names) {
      Path local = dir.resolve(n);
      ctx.store().download(ctx.staged(n), local);
      artifacts.add(new Publisher.Artifact(n, local));
    }
    Path report = dir.resolve("report.html");
    Reports.writeModelReport(ctx, v, report);
    artifacts.add(new Publisher.Artifact("report.html", report));
    ObjectNode body = Manifests.body(ctx, v, inputs, stages);
    Publisher.Result r =
        publisher.publish(
            m.name(),
            m.version(),
            ctx.runId(),
            artifacts,
            body,
            inputs.combined(),
            v.verdict().passed());
    progress.line(
        m.name(),
        "publish",
        "%s%s",
        Uris.redact(r.prefix()),
        r.promoted() ? " (latest)" : " (not promoted: gate failed)");
    Map<String, String> out = new LinkedHashMap<>();
    String rel = Uris.relativize(ctx.warehouse(), r.prefix());
    out.put("prefix", rel + "/");
    out.put("model", rel + "/model.int8.onnx");
    if (names.contains("calibration.json")) {
      out.put("calibration", rel + "/calibration.json");
    }
    out.put("validation", rel + "/validation.json");
    if (names.contains("tuning.json")) {
      out.put("tuning", rel + "/tuning.json");
    }
    if (names.contains(io.octet.jobs.tune.AutoSparkAction.RECORD)) {
      out.put("auto", rel + "/" + io.octet.jobs.tune.AutoSparkAction.RECORD);
    }
    out.put("report", rel + "/report.html");
    out.put("manifest", Uris.relativize(ctx.warehouse(), r.manifest()));
    return out;
  }

  private ModelOutcome outcome(
      String status,
      ModelOutcome.Error error,
      ValidationOutcome v,
      Map<String, String> artifacts,
      boolean moved,
      String note) {
    var m = ctx.model();
    long fp32Bytes = -1;
    try {
      fp32Bytes = Files.size(ctx.scratch().resolve("fp32").resolve(Uris.fileName(ctx.fp32Uri())));
    } catch (java.io.IOException | RuntimeException e) {
      // The model never downloaded (it is missing or unreadable); the error says so.
    }
    return new ModelOutcome(
        m.name(),
        m.version(),
        status,
        m.quantization().mode().configName(),
        m.quantization().mode() == QuantMode.STATIC ? m.quantization().method().configName() : null,
        error,
        stages,
        v,
        fp32Bytes,
        artifacts,
        Redaction.config(ConfigHash.tree(ctx.requestedModel())),
        m.validation().gate(),
        moved,
        note,
        staged("tuning.json"),
        staged(io.octet.jobs.tune.AutoSparkAction.RECORD),
        ctx.warnings());
  }

  /**
   * A staged record (tuning.json, auto.json), when its stage ran in this run. Best effort:
   * outcome() also runs on the failure path, where storage may be the very thing that failed;
   * throwing here would turn one model's failure into a crash of the whole run (no summary for any
   * model).
   */
  JsonNode staged(String name) {
    String uri = ctx.staged(name);
    try {
      return ctx.store().exists(uri) ? Json.parse(ctx.store().readBytes(uri), uri) : null;
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(ModelPipeline.class)
          .warn("Could not read {}: {}", Uris.redact(uri), e.getMessage());
      return null;
    }
  }

  private <T> T timedStage(String name, java.util.function.Supplier<T> f) {
    return timed(name, f, -1);
  }

  private <T> T timed(String name, java.util.function.Supplier<T> f, long rows) {
    long t0 = System.nanoTime();
    try {
      return f.get();
    } finally {
      stages.put(name, new ModelOutcome.Stage((System.nanoTime() - t0) / 1e9, rows));
      for (String w : ctx.newWarnings()) {
        progress.line(ctx.model().name(), "warning", "%s", w);
      }
    }
  }

  static String sha(Path p) {
    return Hashing.sha256(StageContext.openLocal(p));
  }
}
