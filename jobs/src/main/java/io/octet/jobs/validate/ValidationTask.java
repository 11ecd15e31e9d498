package io.octet.jobs.validate;

import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.spark.BatchMemory;
import io.octet.jobs.spark.ExecutorModels;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.runtime.InputBatch;
import io.octet.validate.MetricsAccumulator;
import io.octet.validate.NodeSqnr;
import io.octet.validate.OutputComparer;
import io.octet.validate.ValidationOptions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * What one validation task does: run the published FP32 and INT8 models (cached sessions) on the
 * same batches for the output metrics, and, on the partition's first rows, the variants that expose
 * quantized nodes' outputs for per-node SQNR. (Exposing an output can stop ONNX Runtime from fusing
 * a node, so the gated metrics always come from the unmodified models.)
 *
 * @param store storage
 * @param modelName the model's name
 * @param models the FP32/INT8 pair the metrics come from
 * @param nodeModels the pair exposing node outputs, or null
 * @param decoder row decoder
 * @param opts comparison options
 * @param nodeOutputs node outputs compared for sensitivity
 * @param nodeRows rows per partition used for sensitivity
 * @param batchSize the most rows per batch
 * @param memory how batches fit the memory budget
 * @param timed whether the comparison pass times both models (validation.latency-source = tasks)
 * @param compareOutputs whether the task runs the comparison pass (false: per-node SQNR only, on
 *     the partition's first rows)
 */
public record ValidationTask(
    HadoopObjectStore store,
    String modelName,
    ModelPair models,
    ModelPair nodeModels,
    RowDecoder decoder,
    ValidationOptions opts,
    List<String> nodeOutputs,
    int nodeRows,
    int batchSize,
    Inference memory,
    boolean timed,
    boolean compareOutputs)
    implements FlatMapFunction<Iterator<InternalRow>, PartialValidation>, Serializable {

  /**
   * How comparison batches fit the memory budget.
   *
   * @param batches batch sizing and admission
   * @param outputs the FP32 model's outputs (what a session returns)
   */
  public record Inference(BatchMemory batches, List<String> outputs) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * Two staged models and what is needed to fetch them.
   *
   * @param fp32Uri the FP32 model
   * @param fp32Sha its hash
   * @param fp32Data its external data files
   * @param int8Uri the quantized model
   * @param int8Sha its hash
   * @param int8Data its external data files
   */
  public record ModelPair(
      String fp32Uri,
      String fp32Sha,
      List<String> fp32Data,
      String int8Uri,
      String int8Sha,
      List<String> int8Data)
      implements Serializable {
    /** Holds both sessions; the leases are added to {@code held} for the caller to release. */
    OutputComparer comparer(
        HadoopObjectStore store,
        String model,
        ValidationOptions o,
        int threads,
        List<ExecutorModels.Lease> held) {
      var settings = io.octet.runtime.OrtRuntime.SessionSettings.batch(threads);
      ExecutorModels.Lease a = ExecutorModels.lease(store, fp32Uri, fp32Sha, fp32Data, settings);
      held.add(a);
      ExecutorModels.Lease b = ExecutorModels.lease(store, int8Uri, int8Sha, int8Data, settings);
      held.add(b);
      return new OutputComparer(a.session(), b.session(), model, o);
    }
  }

  /**
   * The same task measuring per-node SQNR only: it reads each partition's first rows and runs the
   * models that expose node outputs, nothing else.
   *
   * @param nodes the pair exposing node outputs
   * @return the task
   */
  public ValidationTask nodesOnly(ModelPair nodes) {
    return new ValidationTask(
        store,
        modelName,
        models,
        nodes,
        decoder,
        opts,
        nodeOutputs,
        nodeRows,
        batchSize,
        memory,
        false,
        false);
  }

  @Override
  public Iterator<PartialValidation> call(Iterator<InternalRow> rows) {
    TaskContext tc = TaskContext.get();
    int threads = tc == null ? 1 : Math.max(1, tc.cpus());
    String prefix = tc == null ? "p0-" : "p" + tc.partitionId() + "-";
    List<ExecutorModels.Lease> held = new ArrayList<>();
    try {
      OutputComparer main =
          compareOutputs ? models.comparer(store, modelName, opts, threads, held) : null;
      io.octet.validate.RunTimes times = new io.octet.validate.RunTimes();
      if (timed && main != null) {
        main.timed(times);
      }
      OutputComparer sens =
          nodeModels == null ? null : nodeModels.comparer(store, modelName, opts, threads, held);
      MetricsAccumulator acc = new MetricsAccumulator(opts.topK());
      MetricsAccumulator discard = new MetricsAccumulator(opts.topK());
      NodeSqnr nodes = new NodeSqnr();
      List<Sample> sensitivityRows = new ArrayList<>();
      Batching.Streamer streamer = new Batching.Streamer(batchSize, 64);
      long i = 0;
      while (rows.hasNext() && (main != null || sensitivityRows.size() < nodeRows)) {
        Sample s = decoder.decode(rows.next(), prefix + i++);
        if (sens != null && sensitivityRows.size() < nodeRows) {
          sensitivityRows.add(s);
        }
        if (main == null) {
          continue;
        }
        List<Sample> full = streamer.add(s);
        if (!full.isEmpty()) {
          compareWithin(main, full, acc);
        }
      }
      if (main != null) {
        for (List<Sample> batch : streamer.flush()) {
          compareWithin(main, batch, acc);
        }
      }
      if (sens != null) {
        // One row at a time: every quantized node's output comes back, which for a conv net is
        // hundreds of megabytes per image.
        for (List<Sample> batch : Batching.byShape(sensitivityRows, 1)) {
          compare(sens, batch, discard, nodeOutputs, nodes);
        }
      }
      java.util.ArrayList<io.octet.cpu.CpuFeatures> cpus = new java.util.ArrayList<>();
      cpus.add(io.octet.cpu.CpuFeatures.detect());
      return List.of(new PartialValidation(acc, nodes, cpus, times)).iterator();
    } finally {
      held.forEach(ExecutorModels.Lease::close);
    }
  }

  /**
   * Compares rows of one shape in batches that fit one task slot's share: per row, the FP32 and the
   * INT8 session's working memory and outputs.
   */
  private void compareWithin(
      OutputComparer cmp, List<Sample> rowsOfOneShape, MetricsAccumulator acc) {
    BatchMemory b = memory.batches();
    b.forEachBatch(
        rowsOfOneShape,
        b.footprint(),
        memory.outputs(),
        2,
        modelName,
        "validation",
        (batch, d) -> compare(cmp, batch, acc, List.of(), null));
  }

  private static void compare(
      OutputComparer cmp,
      List<Sample> batch,
      MetricsAccumulator acc,
      List<String> outs,
      NodeSqnr nodes) {
    try (InputBatch in = InputBatch.of(batch)) {
      cmp.compare(in, acc, outs, nodes);
    }
  }
}
