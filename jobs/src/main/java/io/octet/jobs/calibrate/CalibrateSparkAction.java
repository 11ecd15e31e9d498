package io.octet.jobs.calibrate;

import io.octet.calib.CalibrationTable;
import io.octet.config.CalibrationConfig;
import io.octet.error.QuantErrors;
import io.octet.histogram.Histogram;
import io.octet.jobs.data.Datasets;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.pipeline.StageContext;
import io.octet.jobs.spark.BatchMemory;
import io.octet.jobs.spark.ExecutorModels;
import io.octet.memory.ActivationFootprint;
import io.octet.memory.MemoryBudget;
import io.octet.onnx.OnnxModel;
import io.octet.quant.ModelAugmenter;
import io.octet.quant.Quantizer;
import io.octet.runtime.OrtRuntime.SessionSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
    // Before any data is read: a model whose sessions alone do not fit fails at once.
    MemoryBudget budget = ctx.memoryBudget();
    long capacity = ctx.batchBytes(budget);
    Dataset<Row> ds =
        Datasets.read(ctx.spark(), model.name(), cc.dataset(), cc.maxRows(), model.idColumn());
    RowDecoder decoder =
        RowDecoder.create(
            model.name(), cc.dataset(), ds.schema(), ctx.bindings(), null, model.idColumn());
    JavaRDD<InternalRow> rows =
        Datasets.internalRows(
            ds, Datasets.partitions(ds, cc.partitions(), "calibration.partitions", ctx::warn));

    String fullName = prefix + "calibration-model.onnx";
    String fullUri = ctx.staged(fullName);
    String fullSha = ctx.stageModel(prepared.augmented().model(), fullName);
    MemoryPlan plan = planMemory(prepared, rows, decoder, fullUri, fullSha, budget, capacity);
    PartialStats merged = null;
    for (int g = 0; g < plan.groups().size(); g++) {
      List<String> group = plan.groups().get(g);
      ModelAugmenter.Augmented augmented =
          plan.groups().size() == 1
              ? prepared.augmented()
              : ModelAugmenter.augment(prepared.fp32(), group);
      String augUri = fullUri;
      String augSha = fullSha;
      String groupName = prefix + "calibration-model-g" + g + ".onnx";
      if (plan.groups().size() > 1) {
        augUri = ctx.staged(groupName);
        augSha = ctx.stageModel(augmented.model(), groupName);
      }
      CalibrationTask task =
          new CalibrationTask(
              ctx.store(),
              augUri,
              augSha,
              StageContext.externalFiles(augmented.model()),
              model.name(),
              decoder,
              augmented.outputFor(),
              cc.numBins(),
              cc.batchSize(),
              plan.batchMemory());
      ctx.spark()
          .sparkContext()
          .setJobGroup(
              "octet-calibrate-" + model.name(),
              "Octet: calibrate "
                  + model.name()
                  + (plan.groups().size() == 1
                      ? ""
                      : " (tensor group " + (g + 1) + " of " + plan.groups().size() + ")"),
              false);
      try {
        PartialStats part = rows.mapPartitions(task).treeReduce(PartialStats::merge, 2);
        merged = merged == null ? part : merged.union(part);
      } finally {
        ctx.spark().sparkContext().clearJobGroup();
        // In local mode the tasks ran in this JVM: free the calibration session's weights before
        // validation opens two more sessions. Cluster executors drop it as their cache turns over.
        ExecutorModels.closeIdle(augSha);
        if (plan.groups().size() > 1) {
          // One group's copy of the model at a time in staging, not one per group.
          ctx.unstage(groupName);
        }
      }
    }
    if (plan.groups().size() > 1) {
      ExecutorModels.closeIdle(fullSha); // the footprint probe's session of the whole model
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

  /**
   * How calibration fits the memory budget.
   *
   * @param groups the calibrated tensors, in groups each served by its own session and pass
   * @param batchMemory how tasks size and admit batches
   */
  record MemoryPlan(List<List<String>> groups, BatchMemory batchMemory) {}

  private MemoryPlan planMemory(
      Quantizer.Prepared prepared,
      JavaRDD<InternalRow> rows,
      RowDecoder decoder,
      String augUri,
      String augSha,
      MemoryBudget budget,
      long capacity) {
    var model = ctx.model();
    CalibrationConfig cc = model.calibration();
    long share = budget.perTaskBytes(capacity);
    FootprintProbe.Scan scan = FootprintProbe.scan(rows, decoder);
    long maxDim = scan.maxDim();
    ActivationFootprint footprint;
    ModelAugmenter.Augmented full = prepared.augmented();
    try (ExecutorModels.Lease lease =
        ExecutorModels.lease(
            ctx.store(),
            augUri,
            augSha,
            StageContext.externalFiles(full.model()),
            SessionSettings.calibration(1))) {
      footprint =
          FootprintProbe.probe(lease.session(), scan, decoder, full.outputFor(), model.name());
    }
    List<List<String>> groups = footprint.groups(model.name(), maxDim, share, budget.describe());
    long row = footprint.rowBytes(maxDim);
    int rowsFit = footprint.rowsPerBatch(footprint.names(), maxDim, share, Integer.MAX_VALUE);
    if (groups.size() > 1) {
      ctx.warn(
          String.format(
              Locale.ROOT,
              "calibration: one row of the %d calibrated tensors needs about %s at input dimension"
                  + " %d, more than one batch may use (%s of the budget, %s); the tensors are"
                  + " split into %d groups, each a separate session and pass over the"
                  + " calibration data (about %d times the inference). Raise run.memory-budget or"
                  + " give executors more memory to calibrate in one pass.",
              footprint.names().size(),
              QuantErrors.bytes(row),
              maxDim,
              QuantErrors.bytes(share),
              budget.describe(),
              groups.size(),
              groups.size()));
    } else if (rowsFit < model.calibration().batchSize()) {
      ctx.warn(
          String.format(
              Locale.ROOT,
              "calibration: batches of %d rows at input dimension %d would need about %s, more"
                  + " than one batch may use (%s of the budget, %s); the longest rows run %d to a"
                  + " batch (shorter rows fit more). Histograms do not depend on batching.",
              model.calibration().batchSize(),
              maxDim,
              QuantErrors.bytes(row * model.calibration().batchSize()),
              QuantErrors.bytes(share),
              budget.describe(),
              rowsFit));
    }
    // calibration.batch-memory only shortens batches: groups are planned on the whole share, so
    // a cap below one row's activations never costs another pass over the data.
    long batchShare = cc.batchMemory() > 0 ? Math.min(share, cc.batchMemory()) : share;
    return new MemoryPlan(
        groups, new BatchMemory(footprint, batchShare, capacity, budget.describe()));
  }
}
