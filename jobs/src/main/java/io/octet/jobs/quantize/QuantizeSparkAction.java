package io.octet.jobs.quantize;

import io.octet.jobs.pipeline.StageContext;
import io.octet.runtime.OrtRuntime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quantize stage: one Spark task per model (models run in parallel because each model's
 * pipeline submits its own job). Writes {@code model.int8.onnx} to staging.
 */
public final class QuantizeSparkAction {
  private final StageContext ctx;

  /**
   * Creates the action.
   *
   * @param ctx the model's stage context
   */
  public QuantizeSparkAction(StageContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Runs the stage.
   *
   * @return the staged model's hash, size and data files
   */
  public QuantizeTask.Outcome execute() {
    var model = ctx.model();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("model", model.name());
    meta.put("version", model.version());
    meta.put("source-sha256", ctx.fp32Sha());
    meta.put(
        "calibration-data",
        model.calibration().dataset() == null ? "" : model.calibration().dataset());
    meta.put("config-sha256", ConfigHash.of(model));
    meta.put("octet-version", Versions.octet());
    meta.put("onnxruntime-version", OrtRuntime.version());
    meta.put("target", model.quantization().target().configName());
    meta.put("weight-encoding", model.quantization().weightEncoding().configName());
    QuantizeTask task =
        new QuantizeTask(
            ctx.store(),
            model.name(),
            ctx.fp32Uri(),
            ctx.fp32Sha(),
            ctx.fp32DataFiles(),
            model.quantization(),
            model.quantization().mode().needsCalibration() ? ctx.staged("calibration.json") : null,
            ctx.staged("model.int8.onnx"),
            meta);
    var sc = ctx.spark().sparkContext();
    sc.setJobGroup("octet-quantize-" + model.name(), "Octet: quantize " + model.name(), false);
    try {
      return new org.apache.spark.api.java.JavaSparkContext(sc)
          .parallelize(List.of(task), 1)
          .map(QuantizeTask::run)
          .collect()
          .get(0);
    } finally {
      sc.clearJobGroup();
    }
  }
}
