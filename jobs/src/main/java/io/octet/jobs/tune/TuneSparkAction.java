package io.octet.jobs.tune;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.jobs.calibrate.CalibrateSparkAction;
import io.octet.jobs.data.Datasets;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.pipeline.StageContext;
import io.octet.onnx.OnnxModel;
import io.octet.quant.ModelAugmenter;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.tune.ChannelMax;
import io.octet.tune.SmoothQuant;
import io.octet.tune.Trial;
import io.octet.tune.Tuner;
import io.octet.util.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * The tuning stage, run when a static model misses its gate and {@code tuning.enabled}: the {@link
 * Tuner} with a Spark evaluator, SmoothQuant statistics and recalibration as Spark jobs. Stages the
 * chosen model as {@code model.int8.onnx} (and its calibration table) and the trials as {@code
 * tuning.json}; the pipeline then validates the chosen model on the full set.
 */
public final class TuneSparkAction {
  private final StageContext ctx;

  /**
   * Creates the action.
   *
   * @param ctx the model's stage context
   */
  public TuneSparkAction(StageContext ctx) {
    this.ctx = ctx;
  }

  /**
   * What tuning staged.
   *
   * @param tuned the tuner's result
   * @param sha256 hash of the staged model
   * @param json the tuning record (also staged as tuning.json)
   */
  public record Result(Tuner.Result tuned, String sha256, ObjectNode json) {}

  /**
   * Runs the stage.
   *
   * @return the result
   */
  public Result execute() {
    var m = ctx.model();
    var vc = m.validation();
    var to = m.tuning();
    QuantOptions opts = m.quantization();
    OnnxModel fp32 = ctx.fp32();
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
    String tableUri = ctx.staged("calibration.json");
    CalibrationTable table = CalibrationTable.fromJson(ctx.store().readBytes(tableUri), tableUri);
    Map<String, StagedBase> bases = new ConcurrentHashMap<>();
    bases.put("plain", new StagedBase(ctx.fp32Uri(), ctx.fp32Sha(), ctx.fp32DataFiles(), tableUri));
    List<Sample> sample = sample(to.sampleRows());
    SparkEvaluator eval =
        new SparkEvaluator(
            ctx.spark(),
            ctx.store(),
            m.name(),
            bases,
            sample,
            vc.compare(),
            vc.batchSize(),
            fp32,
            to.latencyRows(),
            vc.latencyThreads());
    Supplier<Tuner.Base> smoothed =
        to.smoothQuant() ? () -> smoothQuant(fp32, opts, to.smoothQuantAlpha(), bases) : null;
    Tuner.Result r =
        new Tuner(m.name(), vc.gate(), eval, to)
            .tune(new Tuner.Base(prepared, table, "plain"), opts, smoothed);
    String sha = ctx.stageModel(r.model(), "model.int8.onnx");
    if (!r.base().label().equals("plain")) {
      ctx.store().writeBytes(tableUri, r.base().table().toJson());
    }
    ObjectNode json = json(r, sample.size());
    ctx.store().writeBytes(ctx.staged("tuning.json"), Json.bytes(json));
    return new Result(r, sha, json);
  }

  private List<Sample> sample(int n) {
    return sample(ctx, n);
  }

  /**
   * Collects the first rows of the validation dataset to the driver, decoded: the sample tuning and
   * auto mode score candidates on.
   *
   * @param ctx the model's context
   * @param n how many rows
   * @return the rows
   */
  public static List<Sample> sample(StageContext ctx, int n) {
    var m = ctx.model();
    var vc = m.validation();
    Dataset<Row> ds = Datasets.read(ctx.spark(), m.name(), vc.dataset(), n, m.idColumn());
    RowDecoder d =
        RowDecoder.create(
            m.name(), vc.dataset(), ds.schema(), ctx.bindings(), m.labelColumn(), m.idColumn());
    // A bounded sample (tuning.sample-rows) comes to the driver, never the dataset.
    List<InternalRow> rows =
        ds.limit(n).queryExecution().toRdd().toJavaRDD().map(InternalRow::copy).collect();
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      out.add(d.decode(rows.get(i), "tune-" + i));
    }
    return out;
  }

  private Tuner.Base smoothQuant(
      OnnxModel fp32, QuantOptions opts, double alpha, Map<String, StagedBase> bases) {
    var m = ctx.model();
    List<String> tensors = SmoothQuant.tensors(fp32, opts);
    ModelAugmenter.Augmented aug = ModelAugmenter.augment(fp32, tensors);
    String augSha = ctx.stageModel(aug.model(), "smoothquant-stats.onnx");
    var cc = m.calibration();
    Dataset<Row> ds =
        Datasets.read(ctx.spark(), m.name(), cc.dataset(), cc.maxRows(), m.idColumn());
    RowDecoder d =
        RowDecoder.create(m.name(), cc.dataset(), ds.schema(), ctx.bindings(), null, m.idColumn());
    ChannelMaxTask task =
        new ChannelMaxTask(
            ctx.store(),
            ctx.staged("smoothquant-stats.onnx"),
            augSha,
            m.name(),
            d,
            aug.outputFor(),
            cc.batchSize());
    ChannelMax max =
        Datasets.internalRows(
                ds, Datasets.partitions(ds, cc.partitions(), "calibration.partitions", ctx::warn))
            .mapPartitions(task)
            .treeReduce(
                (a, b) -> {
                  a.merge(b);
                  return a;
                },
                2);
    OnnxModel smoothed = SmoothQuant.apply(fp32, max.maxima(), alpha, opts);
    String label = String.format(Locale.ROOT, "smoothquant alpha=%.2f", alpha);
    String sha = ctx.stageModel(smoothed, "smoothed-fp32.onnx");
    CalibrateSparkAction.Result cal = new CalibrateSparkAction(ctx).execute(smoothed, "smoothed-");
    bases.put(
        label,
        new StagedBase(
            ctx.staged("smoothed-fp32.onnx"),
            sha,
            StageContext.externalFiles(smoothed),
            cal.tableUri()));
    return new Tuner.Base(Quantizer.prepare(smoothed, opts), cal.table(), label);
  }

  private static ObjectNode json(Tuner.Result r, int sampleRows) {
    ObjectNode o = Json.object();
    o.put("format", "octet-tuning/1");
    o.put("passed-on-sample", r.passed());
    o.put("objective", r.objective().label());
    o.put("sample-rows", sampleRows);
    o.put("base", r.base().label());
    o.put("method", r.options().method().configName());
    ArrayNode nodes = o.putArray("fp32-nodes");
    r.fp32Nodes().forEach(nodes::add);
    ObjectNode ov = o.putObject("tensor-overrides");
    r.options()
        .tensorOverrides()
        .forEach((k, v) -> ov.put(k, v.method() == null ? "fixed" : v.method().configName()));
    ArrayNode trials = o.putArray("trials");
    for (Trial t : r.trials()) {
      ObjectNode x = trials.addObject();
      x.put("step", t.step());
      x.put("candidate", t.description());
      x.put("fp32-nodes", t.fp32Nodes().size());
      putNum(x, "objective", t.objective());
      x.put("passed", t.passed());
      putNum(x, "speedup", t.speedup());
    }
    return o;
  }

  private static void putNum(ObjectNode o, String k, double v) {
    if (Double.isFinite(v)) {
      o.put(k, v);
    } else {
      o.putNull(k);
    }
  }
}
