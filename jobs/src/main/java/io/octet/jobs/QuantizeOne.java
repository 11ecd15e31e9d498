package io.octet.jobs;

import io.octet.config.ConfigLoader;
import io.octet.config.RegistryConfig;
import io.octet.jobs.cli.Args;
import io.octet.jobs.pipeline.ModelPipeline;
import io.octet.jobs.pipeline.Progress;
import io.octet.jobs.pipeline.StageContext;
import io.octet.jobs.quantize.QuantizeTask;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.jobs.spark.SparkSessions;
import io.octet.jobs.validate.ValidationOutcome;
import io.octet.publish.RunIds;
import io.octet.quant.QuantMode;
import io.octet.storage.Uris;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * {@code quantize-one}: one model file and its data on disk, calibrate → quantize → validate in
 * local Spark (the same code path as the cluster), the INT8 model written to {@code --out}.
 */
final class QuantizeOne {
  private QuantizeOne() {}

  static int run(Args a, PrintStream out) {
    String model = Uris.normalize(a.require("model"));
    String mode = a.options().getOrDefault("mode", "static");
    String calibration = a.options().get("calibration");
    if (calibration == null && QuantMode.fromConfig(mode) == QuantMode.STATIC) {
      throw new Args.UsageException(
          "quantize-one in static mode needs --calibration DATA.parquet.");
    }
    boolean validate = !a.switches().contains("skip-validation");
    if (QuantMode.fromConfig(mode) == QuantMode.AUTO
        && (!validate || a.options().get("validation") == null)) {
      throw new Args.UsageException(
          "quantize-one --mode auto scores its candidates on held-out data: give --validation"
              + " DATA.parquet (and keep validation on).");
    }
    String validation = a.options().get("validation");
    if (validation == null) {
      validation = calibration;
      if (validate) {
        out.println(
            "[octet] no --validation given: validating on the calibration data (figures will be optimistic)");
      }
    }
    if (validation == null) {
      throw new Args.UsageException(
          "quantize-one needs --validation DATA.parquet (or --calibration).");
    }
    Path outFile = Path.of(a.require("out")).toAbsolutePath();
    Path warehouse;
    try {
      warehouse =
          a.options().containsKey("warehouse")
              ? Path.of(a.options().get("warehouse"))
              : Files.createTempDirectory("octet-quantize-one-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder reg = new StringBuilder();
    reg.append("warehouse = \"").append(warehouse.toAbsolutePath().toUri()).append("\"\n");
    reg.append("models { model {\n  uri = \"").append(model).append("\"\n");
    reg.append("  quantization { mode = ").append(mode);
    if (a.options().containsKey("method")) {
      reg.append(", method = ").append(a.options().get("method"));
    }
    reg.append(" }\n");
    if (calibration != null) {
      reg.append("  calibration { dataset = \"")
          .append(Uris.normalize(calibration))
          .append("\" }\n");
    }
    reg.append("  validation { dataset = \"")
        .append(Uris.normalize(validation))
        .append("\" }\n} }\n");
    RegistryConfig r = ConfigLoader.load(reg.toString(), "quantize-one", a.sets());
    var m = r.models().get("model");
    String runId = RunIds.next();
    SparkSession spark =
        SparkSessions.getOrCreate(
            "octet-quantize-one", r.spark(), r.hadoop(), r.run().executorSessions());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), r.hadoop());
    StageContext ctx = new StageContext(spark, r, m, runId, store);
    ModelPipeline p = new ModelPipeline(ctx, new Progress(out));
    if (m.quantization().mode() == QuantMode.AUTO) {
      p.auto();
    } else if (m.quantization().mode() == QuantMode.STATIC) {
      p.calibrate();
    }
    QuantizeTask.Outcome q = p.quantize();
    ValidationOutcome v = validate ? p.validate(q.sha256(), q.dataFiles()) : null;
    List<String> files = new ArrayList<>(List.of("model.int8.onnx"));
    files.addAll(q.dataFiles());
    for (String f : files) {
      Path dest =
          f.equals("model.int8.onnx")
              ? outFile
              : outFile.resolveSibling(outFile.getFileName() + ".data");
      store.download(ctx.staged(f), dest);
    }
    if (ctx.model().quantization().mode() == QuantMode.STATIC) {
      store.download(
          ctx.staged("calibration.json"),
          outFile.resolveSibling(outFile.getFileName() + ".calibration.json"));
    }
    store.delete(Uris.join(ctx.warehouse(), "_staging", runId));
    out.printf("[octet] wrote %s (%.1f MB)%n", outFile, q.bytes() / 1e6);
    return v == null || v.verdict().passed() ? 0 : 1;
  }
}
