package io.octet.jobs.tune;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.error.QuantErrors;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.onnx.OnnxModel;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.tune.Candidate;
import io.octet.tune.Evaluator;
import io.octet.validate.Latency;
import io.octet.validate.MetricsAccumulator;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Evaluates tuning candidates in Spark: one task per (candidate, row chunk), metrics merged per
 * candidate with the exact, order-free {@link MetricsAccumulator#merge}. Timing happens on the
 * driver, FP32 and candidate alternating on the same rows and threads.
 */
public final class SparkEvaluator implements Evaluator {
  private final SparkSession spark;
  private final HadoopObjectStore store;
  private final String modelName;
  private final Map<String, StagedBase> bases;
  private final List<Sample> rows;
  private final ValidationOptions opts;
  private final int batchSize;
  private final OnnxModel fp32;
  private final int latencyRows;
  private final int latencyThreads;
  private final int chunks;

  /**
   * Creates the evaluator.
   *
   * @param spark the session
   * @param store storage
   * @param modelName the model's name
   * @param bases staged starting points by label (a live map the caller adds to)
   * @param rows the tuning sample (already on the driver, bounded by tuning.sample-rows)
   * @param opts what to compare
   * @param batchSize rows per batch
   * @param fp32 the FP32 model, for timing on the driver
   * @param latencyRows rows to time candidates on (0 = no timing)
   * @param latencyThreads threads for timing
   */
  public SparkEvaluator(
      SparkSession spark,
      HadoopObjectStore store,
      String modelName,
      Map<String, StagedBase> bases,
      List<Sample> rows,
      ValidationOptions opts,
      int batchSize,
      OnnxModel fp32,
      int latencyRows,
      int latencyThreads) {
    this.spark = spark;
    this.store = store;
    this.modelName = modelName;
    this.bases = bases; // live: the SmoothQuant base is added once it is staged
    this.rows = List.copyOf(rows);
    this.opts = opts;
    this.batchSize = batchSize;
    this.fp32 = fp32;
    this.latencyRows = latencyRows;
    this.latencyThreads = latencyThreads;
    this.chunks = Math.max(1, Math.min(4, rows.size() / 32));
  }

  @Override
  public List<ValidationMetrics> evaluate(List<Candidate> candidates) {
    JavaSparkContext jsc = new JavaSparkContext(spark.sparkContext());
    Broadcast<List<Sample>> sample = jsc.broadcast(rows);
    List<Tuple2<Integer, Integer>> work = new ArrayList<>();
    List<EvaluationTask> tasks = new ArrayList<>();
    for (int i = 0; i < candidates.size(); i++) {
      Candidate c = candidates.get(i);
      StagedBase b = bases.get(c.base().label());
      if (b == null) {
        throw new IllegalStateException("Tuning base '" + c.base().label() + "' was not staged");
      }
      tasks.add(new EvaluationTask(store, modelName, b, c.options(), opts, batchSize));
      for (int k = 0; k < chunks; k++) {
        work.add(new Tuple2<>(i, k));
      }
    }
    int n = chunks;
    spark
        .sparkContext()
        .setJobGroup(
            "octet-tune-" + modelName,
            "Octet: tune " + modelName + " (" + candidates.size() + " candidates)",
            false);
    List<Tuple2<Integer, MetricsAccumulator>> merged;
    try {
      merged =
          jsc.parallelize(work, work.size())
              .mapToPair(
                  w -> {
                    List<Sample> all = sample.value();
                    List<Sample> chunk = new ArrayList<>();
                    for (int r = w._2(); r < all.size(); r += n) {
                      chunk.add(all.get(r));
                    }
                    return tasks.get(w._1()).run(w._1(), chunk);
                  })
              .reduceByKey(
                  (a, b) -> {
                    a.merge(b);
                    return a;
                  })
              .collect();
    } finally {
      spark.sparkContext().clearJobGroup();
      sample.destroy();
    }
    ValidationMetrics[] out = new ValidationMetrics[candidates.size()];
    for (Tuple2<Integer, MetricsAccumulator> t : merged) {
      out[t._1()] = t._2().result();
    }
    return List.of(out);
  }

  @Override
  public boolean timesCandidates() {
    return latencyRows > 0;
  }

  @Override
  public double speedup(OnnxModel candidate) {
    if (latencyRows == 0) {
      return Double.NaN;
    }
    List<InputBatch> batches = new ArrayList<>();
    var s = new OrtRuntime.SessionSettings(latencyThreads, true);
    try (OrtSession a = OrtRuntime.open(fp32, s);
        OrtSession b = OrtRuntime.open(candidate, s)) {
      for (List<Sample> batch :
          Batching.byShape(rows.subList(0, Math.min(latencyRows, rows.size())), batchSize)) {
        batches.add(InputBatch.of(batch));
      }
      return Latency.compare(a, b, batches, 3).speedup();
    } catch (OrtException e) {
      throw QuantErrors.runtime(modelName, "timing a tuning candidate", e);
    } finally {
      batches.forEach(InputBatch::close);
    }
  }
}
