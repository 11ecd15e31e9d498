package io.octet.jobs.tune;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.calib.CalibrationTable;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.error.QuantErrors;
import io.octet.jobs.spark.ExecutorModels;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.tune.Candidate;
import io.octet.validate.MetricsAccumulator;
import io.octet.validate.OutputComparer;
import io.octet.validate.ValidationOptions;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import scala.Tuple2;

/**
 * One (candidate, row chunk) of a tuning evaluation: rebuild the candidate from its starting point
 * and options (cheap: the calibration histograms are stored), run it beside FP32 on the chunk, and
 * return the exact, mergeable metrics.
 *
 * @param store storage
 * @param modelName the model's name
 * @param base where the starting point is staged
 * @param options the candidate's quantization options
 * @param opts what to compare
 * @param batchSize rows per batch
 */
public record EvaluationTask(
    HadoopObjectStore store,
    String modelName,
    StagedBase base,
    QuantOptions options,
    ValidationOptions opts,
    int batchSize)
    implements Serializable {

  // Per executor JVM, for the few models being tuned at a time: a prepared model holds the whole
  // FP32 graph, so only the most recently used ones are kept.
  // Auto mode keys a static and an unplanned entry per model, for two models at a time.
  private static final Map<String, Quantizer.Prepared> PREPARED = recent(4);
  private static final Map<String, CalibrationTable> TABLES = recent(8);

  private static <V> Map<String, V> recent(int capacity) {
    return java.util.Collections.synchronizedMap(
        new java.util.LinkedHashMap<String, V>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
            return size() > capacity;
          }
        });
  }

  /**
   * Builds a candidate inside an executor from its staged starting point: the prepared FP32 model
   * and (static candidates) the calibration table are cached per executor JVM.
   *
   * @param store storage
   * @param modelName the model's name
   * @param base where the starting point is staged
   * @param options the candidate's options
   * @return the candidate model
   */
  static OnnxModel build(
      HadoopObjectStore store, String modelName, StagedBase base, QuantOptions options) {
    boolean isStatic = options.mode() == io.octet.quant.QuantMode.STATIC;
    Quantizer.Prepared prepared =
        PREPARED.computeIfAbsent(
            base.fp32Sha() + "#" + (isStatic ? "static" : "unplanned") + "#" + options.perChannel(),
            k -> {
              OnnxModel m =
                  OnnxModelIO.read(
                      ExecutorModels.fetch(
                          store, base.fp32Uri(), base.fp32Sha(), base.dataFiles()));
              OnnxModel named = new OnnxModel(m.proto(), m.baseDir(), modelName);
              return isStatic ? Quantizer.prepare(named, options) : Quantizer.unplanned(named);
            });
    CalibrationTable table =
        isStatic
            ? TABLES.computeIfAbsent(
                base.tableUri(), u -> CalibrationTable.fromJson(store.readBytes(u), u))
            : null;
    return Candidate.build(modelName, prepared, table, options);
  }

  /**
   * Evaluates the candidate on rows.
   *
   * @param index the candidate's index
   * @param rows the chunk
   * @return (index, metrics)
   */
  public Tuple2<Integer, MetricsAccumulator> run(int index, List<Sample> rows) {
    TaskContext tc = TaskContext.get();
    int threads = tc == null ? 1 : Math.max(1, tc.cpus());
    OnnxModel candidate = build(store, modelName, base, options);
    MetricsAccumulator acc = new MetricsAccumulator(opts.topK());
    try (ExecutorModels.Lease fp32 =
            ExecutorModels.lease(store, base.fp32Uri(), base.fp32Sha(), base.dataFiles(), threads);
        OrtSession q = OrtRuntime.open(candidate, new OrtRuntime.SessionSettings(threads, true))) {
      OutputComparer cmp = new OutputComparer(fp32.session(), q, modelName, opts);
      // Dynamic INT8 takes each batch's own activation ranges: one row at a time, as validation
      // judges it, so a candidate's score does not depend on its batch mates.
      int perBatch = options.mode() == io.octet.quant.QuantMode.DYNAMIC ? 1 : batchSize;
      for (List<Sample> b : Batching.byShape(rows, perBatch)) {
        try (InputBatch in = InputBatch.of(b)) {
          cmp.compare(in, acc);
        }
      }
    } catch (OrtException e) {
      throw QuantErrors.runtime(modelName, "closing a tuning session", e);
    }
    return new Tuple2<>(index, acc);
  }
}
