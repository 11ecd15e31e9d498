package io.octet.jobs.calibrate;

import io.octet.calib.CalibrationTable;
import io.octet.config.CalibrationConfig;
import io.octet.error.QuantErrors;
import io.octet.histogram.Histogram;
import io.octet.jobs.data.Datasets;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.pipeline.StageContext;
import io.octet.onnx.OnnxModel;
import io.octet.quant.Quantizer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * The calibrate stage: plans the model, stages its calibration model, runs it over the calibration
 * dataset in Spark partitions and merges the histograms with a tree reduction; the driver only ever
 * holds O(tensors × bins). Writes {@code calibration.json} to staging.
 */
public final class CalibrateSparkAction {
  private final StageContext ctx;

  /**
   * Creates the action.
   *
   * @param ctx the model's stage context
   */
  public CalibrateSparkAction(StageContext ctx) {
    this.ctx = ctx;
  }

  /**
   * What calibration produced.
   *
   * @param table the calibration table
   * @param rows rows seen
   * @param partitions partitions used
   * @param tableUri where the table was staged
   */
  public record Result(CalibrationTable table, long rows, int partitions, String tableUri) {}

  /**
   * Runs the stage.
   *
   * @return the result
   */
  public Result execute() {
    return execute(ctx.fp32(), "");
  }

  /**
   * Runs the stage for a given FP32 model (the tuner calibrates a smoothed copy this way).
   *
   * @param fp32 the FP32 model to calibrate
   * @param prefix prefix of the staged file names ("" for the model itself)
   * @return the result
   */
  public Result execute(OnnxModel fp32, String prefix) {
    var model = ctx.model();
    CalibrationConfig cc = model.calibration();
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, model.quantization());
    OnnxModel augmented = prepared.augmented().model();
    String augUri = ctx.staged(prefix + "calibration-model.onnx");
    String augSha = ctx.stageModel(augmented, prefix + "calibration-model.onnx");

    Dataset<Row> ds =
        Datasets.read(ctx.spark(), model.name(), cc.dataset(), cc.maxRows(), model.idColumn());
    RowDecoder decoder =
        RowDecoder.create(
            model.name(), cc.dataset(), ds.schema(), ctx.bindings(), null, model.idColumn());
    JavaRDD<InternalRow> rows =
        Datasets.internalRows(
            ds, Datasets.partitions(ds, cc.partitions(), "calibration.partitions", ctx::warn));
    CalibrationTask task =
        new CalibrationTask(
            ctx.store(),
            augUri,
            augSha,
            StageContext.externalFiles(augmented),
            model.name(),
            decoder,
            prepared.augmented().outputFor(),
            cc.numBins(),
            cc.batchSize());
    ctx.spark()
        .sparkContext()
        .setJobGroup("octet-calibrate-" + model.name(), "Octet: calibrate " + model.name(), false);
    PartialStats merged;
    try {
      merged = rows.mapPartitions(task).treeReduce(PartialStats::merge, 2);
    } finally {
      ctx.spark().sparkContext().clearJobGroup();
    }
    if (merged.rows() == 0) {
      throw QuantErrors.badData(
          model.name(),
          "the calibration dataset " + cc.dataset() + " has no rows",
          "Point calibration.dataset at non-empty data.");
    }
    Map<String, Histogram> hists = new LinkedHashMap<>(merged.histograms());
    CalibrationTable table =
        Quantizer.calibrate(model.name(), prepared.plan(), hists, merged.rows());
    String tableUri = ctx.staged(prefix + "calibration.json");
    ctx.store().writeBytes(tableUri, table.toJson());
    return new Result(table, merged.rows(), rows.getNumPartitions(), tableUri);
  }
}
