package io.octet.jobs.validate;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.config.ValidationConfig;
import io.octet.cpu.CpuFeatures;
import io.octet.cpu.Int8Check;
import io.octet.cpu.Target;
import io.octet.cpu.TargetValidation;
import io.octet.cpu.WeightEncoding;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.error.QuantErrors;
import io.octet.jobs.calibrate.FootprintProbe;
import io.octet.jobs.data.Datasets;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.pipeline.StageContext;
import io.octet.jobs.spark.BatchMemory;
import io.octet.memory.ActivationFootprint;
import io.octet.memory.MemoryBudget;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.ModelAugmenter;
import io.octet.quant.QuantizedNodes;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.runtime.TypeProbe;
import io.octet.validate.Gate;
import io.octet.validate.Latency;
import io.octet.validate.ValidationMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * The validate stage: FP32 and INT8 over the held-out dataset in partitions, output metrics and
 * per-node SQNR merged exactly; latency from the same pass (each batch runs both models back to
 * back) or, with validation.latency-source = driver, side by side on the driver on a bounded
 * sample; the gate's verdict. Writes {@code validation.json} to staging.
 */
public final class ValidateSparkAction {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ValidateSparkAction.class);
  private final StageContext ctx;

  /**
   * Creates the action.
   *
   * @param ctx the model's stage context
   */
  public ValidateSparkAction(StageContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Runs the stage.
   *
   * @param int8Sha the staged INT8 model's hash
   * @param int8DataFiles its external data files
   * @return the validation outcome
   */
  public ValidationOutcome execute(String int8Sha, List<String> int8DataFiles) {
    var model = ctx.model();
    ValidationConfig vc = model.validation();
    String int8Uri = ctx.staged("model.int8.onnx");
    Path int8Local = ctx.scratch().resolve("int8").resolve("model.int8.onnx");
    for (String f : int8DataFiles) {
      ctx.store().download(ctx.staged(f), int8Local.resolveSibling(f));
    }
    ctx.store().download(int8Uri, int8Local);
    OnnxModel fp32 = ctx.fp32();
    OnnxModel int8 = OnnxModelIO.read(int8Local);
    OutputChoice choice =
        OutputChoice.of(fp32, vc.compare().output(), model, ctx.registry().source());
    choice.warning().ifPresent(ctx::warn);
    String calibration = model.calibration().dataset();
    if (calibration != null
        && io.octet.storage.Uris.normalize(vc.dataset())
            .equals(io.octet.storage.Uris.normalize(calibration))) {
      ctx.warn(
          "validation.dataset is the calibration dataset ("
              + io.octet.storage.Uris.redact(vc.dataset())
              + "): the gate then measures on data the ranges were fitted to; use held-out rows");
    }
    io.octet.validate.ValidationOptions compare =
        new io.octet.validate.ValidationOptions(
            choice.output(), vc.compare().pooling(), vc.compare().maskInput(), vc.compare().topK());

    List<QuantizedNodes.Node> nodes =
        vc.nodeSqnrRows() > 0 ? QuantizedNodes.of(fp32, int8) : List.of();
    List<String> nodeOutputs = nodes.stream().map(QuantizedNodes.Node::output).toList();

    Dataset<Row> ds =
        Datasets.read(ctx.spark(), model.name(), vc.dataset(), vc.maxRows(), model.idColumn());
    RowDecoder decoder =
        RowDecoder.create(
            model.name(),
            vc.dataset(),
            ds.schema(),
            ctx.bindings(),
            model.labelColumn(),
            model.idColumn());
    JavaRDD<InternalRow> rows =
        Datasets.internalRows(
            ds, Datasets.partitions(ds, vc.partitions(), "validation.partitions", ctx::warn));
    ValidationTask.ModelPair pair =
        new ValidationTask.ModelPair(
            ctx.fp32Uri(), ctx.fp32Sha(), ctx.fp32DataFiles(), int8Uri, int8Sha, int8DataFiles);
    boolean nodesInPass = !nodeOutputs.isEmpty() && vc.nodeSqnrWhen().equals("always");
    ValidationTask both =
        new ValidationTask(
            ctx.store(),
            model.name(),
            pair,
            nodesInPass ? nodeModels(fp32, int8, nodeOutputs) : null,
            decoder,
            compare,
            nodeOutputs,
            vc.nodeSqnrRows(),
            rowsPerBatch(vc),
            inferenceMemory(fp32, rows, decoder),
            vc.latencyInTasks() && !dynamic(),
            true);
    PartialValidation merged = run(rows, both, "validate " + model.name());
    ValidationMetrics metrics = merged.metrics().result();
    if (metrics.rows() == 0) {
      throw QuantErrors.badData(
          model.name(),
          "the validation dataset " + vc.dataset() + " has no rows",
          "Point validation.dataset at non-empty held-out data.");
    }
    long outOfRange = merged.metrics().labelsOutOfRange();
    if (outOfRange > 0) {
      ctx.warn(
          outOfRange
              + " of "
              + metrics.labeledRows()
              + " labels in column '"
              + model.labelColumn()
              + "' are no class index of output '"
              + choice.output()
              + "' (they count as wrong): check label-column and validation.output");
    }
    choice.checkTaskMetric(metrics);
    boolean inTasks =
        vc.latencyInTasks() && !dynamic() && merged.times().enough(vc.latencyMinTaskMillis());
    if (vc.latencyInTasks() && !dynamic() && !inTasks) {
      LOG.info(
          "{}: the comparison pass ran too briefly to time ({} batches); timing on the driver",
          model.name(),
          merged.times().batches());
    }
    Latency.Comparison latency =
        inTasks ? merged.times().comparison() : latency(ds, decoder, fp32, int8, vc);
    double ratio = latency == null ? Double.NaN : latency.ratio();
    Gate.Verdict verdict = vc.gate().evaluate(metrics, ratio);
    TargetValidation target = target(int8, merged.cpus(), latency != null && !inTasks);
    verdict = withTarget(verdict, target, vc.requireTargetCpu());
    Map<String, Double> sqnr = merged.nodes().sqnrDb();
    if (!nodeOutputs.isEmpty() && !nodesInPass && !verdict.passed()) {
      // Which nodes lose the most is worth a second look only when the gate failed: the first
      // rows of each partition again, with every quantized node's output exposed.
      try {
        ValidationTask nodesOnly = both.nodesOnly(nodeModels(fp32, int8, nodeOutputs));
        sqnr = run(rows, nodesOnly, "per-node SQNR of " + model.name()).nodes().sqnrDb();
      } catch (RuntimeException e) {
        // A diagnostic: its failure (a conv net's node outputs, say) must not hide the verdict.
        ctx.warn(
            "per-node SQNR after the failed gate could not be measured ("
                + io.octet.jobs.pipeline.Failures.oneLine(
                    io.octet.jobs.pipeline.Failures.describe(e))
                + "); lower validation.node-sqnr-rows or set it to 0");
      }
    }
    List<ValidationOutcome.NodeResult> nodeResults = new ArrayList<>();
    for (QuantizedNodes.Node n : nodes) {
      Double db = sqnr.get(n.output());
      if (db != null) {
        nodeResults.add(new ValidationOutcome.NodeResult(n.name(), n.opType(), n.output(), db));
      }
    }
    ValidationOutcome out =
        new ValidationOutcome(
            metrics,
            nodeResults,
            latency,
            verdict,
            fileBytes(int8Local, int8DataFiles),
            choice.output(),
            choice.rule(),
            outOfRange,
            target,
            inTasks ? "tasks" : "driver");
    ctx.store().writeBytes(ctx.staged("validation.json"), out.toJson());
    return out;
  }

  private PartialValidation run(JavaRDD<InternalRow> rows, ValidationTask task, String what) {
    var sc = ctx.spark().sparkContext();
    sc.setJobGroup("octet-validate-" + ctx.model().name(), "Octet: " + what, false);
    try {
      return rows.mapPartitions(task).treeReduce(PartialValidation::merge, 2);
    } finally {
      sc.clearJobGroup();
    }
  }

  /** Stages the FP32 and INT8 models with every quantized node's output exposed. */
  private ValidationTask.ModelPair nodeModels(
      OnnxModel fp32, OnnxModel int8, List<String> nodeOutputs) {
    OnnxModel fa = ModelAugmenter.augment(fp32, nodeOutputs).model();
    OnnxModel ia = ModelAugmenter.augment(int8, nodeOutputs).model();
    return new ValidationTask.ModelPair(
        ctx.staged("validation-fp32.onnx"),
        ctx.stageModel(fa, "validation-fp32.onnx"),
        StageContext.externalFiles(fa),
        ctx.staged("validation-int8.onnx"),
        ctx.stageModel(ia, "validation-int8.onnx"),
        StageContext.externalFiles(ia));
  }

  /**
   * Checks the artifact's weights against its target and records the CPUs that validated. The
   * target and encoding are read from the artifact's own provenance (what it was built for), with
   * the config as the fallback for artifacts without it.
   */
  private TargetValidation target(
      OnnxModel int8, List<CpuFeatures> executorCpus, boolean timedOnDriver) {
    var q = ctx.model().quantization();
    List<CpuFeatures> cpus = new ArrayList<>(executorCpus);
    if (timedOnDriver) {
      // The latency comparison runs on the driver.
      cpus.add(CpuFeatures.detect());
    }
    Map<String, String> built = io.octet.quant.Provenance.read(int8.proto());
    Target target = q.target();
    WeightEncoding encoding = q.weightEncoding();
    try {
      if (built.containsKey("target")) {
        target = Target.fromConfig(built.get("target"));
      }
      if (built.containsKey("weight-encoding")) {
        encoding = WeightEncoding.fromConfig(built.get("weight-encoding"), target);
      }
    } catch (IllegalArgumentException e) {
      // Written by another Octet version: the config says what was asked for.
    }
    return TargetValidation.of(target, encoding, Int8Check.check(int8), cpus, OrtRuntime.version());
  }

  /** Adds the target's failures to the gate: never-portable weights, and a CPU that cannot show. */
  static Gate.Verdict withTarget(Gate.Verdict v, TargetValidation t, boolean requireTargetCpu) {
    List<String> failures = new ArrayList<>(v.failures());
    if (t.saturableNodes() > 0 && Target.fromConfig(t.target()).includesPairSaturatingKernels()) {
      failures.add(
          "target "
              + t.target()
              + ": "
              + t.saturableNodes()
              + " node(s) can saturate on AVX2 (worst weight pair "
              + t.worstPairSum()
              + " > "
              + io.octet.cpu.KernelPairing.PAIR_BOUND
              + ")");
    } else if (requireTargetCpu && !t.showsTarget()) {
      failures.add(
          "validation.require-target-cpu: "
              + t.cannotShow()
              + "; validate on a CPU of the target or set quantization.target = portable");
    }
    return failures.size() == v.failures().size() ? v : new Gate.Verdict(false, failures);
  }

  /**
   * Dynamic models are compared one row at a time (below), which would time per-call overhead:
   * their latency is measured on the driver at validation.batch-size.
   */
  private boolean dynamic() {
    return ctx.model().quantization().mode() == io.octet.quant.QuantMode.DYNAMIC;
  }

  /**
   * Dynamic quantization takes each batch's own activation range, so a row's INT8 output depends on
   * its batch mates; validating one row at a time keeps the metrics independent of batching and
   * partitioning, as they are for the other modes.
   */
  private int rowsPerBatch(ValidationConfig vc) {
    return ctx.model().quantization().mode() == io.octet.quant.QuantMode.DYNAMIC
        ? 1
        : vc.batchSize();
  }

  private Latency.Comparison latency(
      Dataset<Row> ds, RowDecoder decoder, OnnxModel fp32, OnnxModel int8, ValidationConfig vc) {
    if (vc.latencyRows() == 0) {
      return null;
    }
    // A bounded sample (latency-rows), never the dataset, comes to the driver.
    List<InternalRow> sample =
        ds.limit(vc.latencyRows())
            .queryExecution()
            .toRdd()
            .toJavaRDD()
            .map(InternalRow::copy)
            .collect();
    List<Sample> rows = new ArrayList<>();
    for (int i = 0; i < sample.size(); i++) {
      rows.add(decoder.decode(sample.get(i), "latency-" + i));
    }
    List<InputBatch> batches = new ArrayList<>();
    var settings = new OrtRuntime.SessionSettings(vc.latencyThreads(), true);
    try (OrtSession a = OrtRuntime.open(fp32, settings);
        OrtSession b = OrtRuntime.open(int8, settings)) {
      for (List<Sample> batch : Batching.byShape(rows, vc.batchSize())) {
        batches.add(InputBatch.of(batch));
      }
      return Latency.compare(a, b, batches, vc.latencyRounds());
    } catch (OrtException e) {
      throw QuantErrors.runtime(ctx.model().name(), "measuring latency", e);
    } finally {
      batches.forEach(InputBatch::close);
    }
  }

  private static long fileBytes(Path model, List<String> dataFiles) {
    try {
      long n = java.nio.file.Files.size(model);
      for (String f : dataFiles) {
        n += java.nio.file.Files.size(model.resolveSibling(f));
      }
      return n;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Plans validation batches inside the memory budget: the FP32 model, with every float tensor
   * exposed, runs the two shortest validation rows of different lengths on the driver to learn how
   * its activations grow with the input; a batch then reserves, per row, ONNX Runtime's working
   * memory and outputs for the FP32 and the INT8 session (INT8 activations are no larger).
   */
  private ValidationTask.Inference inferenceMemory(
      OnnxModel fp32, JavaRDD<InternalRow> rows, RowDecoder decoder) {
    var model = ctx.model();
    MemoryBudget budget = ctx.memoryBudget();
    long capacity = ctx.batchBytes(budget);
    Map<String, TypeProbe.TensorType> types = TypeProbe.probe(fp32);
    OnnxGraph graph = new OnnxGraph(fp32.proto().getGraph());
    List<String> floats = new ArrayList<>();
    for (var e : types.entrySet()) {
      if (e.getValue().isFloat()
          && !graph.isGraphInput(e.getKey())
          && graph.initializer(e.getKey()).isEmpty()) {
        floats.add(e.getKey());
      }
    }
    ModelAugmenter.Augmented all = ModelAugmenter.augment(fp32, floats);
    FootprintProbe.Scan scan = FootprintProbe.scan(rows, decoder);
    ActivationFootprint footprint;
    try (OrtSession s = OrtRuntime.open(all.model(), OrtRuntime.SessionSettings.calibration(1))) {
      footprint = FootprintProbe.probe(s, scan, decoder, all.outputFor(), model.name());
    } catch (OrtException e) {
      throw QuantErrors.runtime(model.name(), "closing a session", e);
    }
    List<String> outputs = new ArrayList<>();
    fp32.proto().getGraph().getOutputList().forEach(o -> outputs.add(o.getName()));
    outputs.retainAll(all.outputFor().keySet());
    return new ValidationTask.Inference(
        new BatchMemory(footprint, budget.perTaskBytes(capacity), capacity, budget.describe()),
        outputs);
  }
}
