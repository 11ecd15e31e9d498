package io.octet.jobs.tune;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.cpu.CpuFeatures;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.jobs.spark.ExecutorModels;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.onnx.OnnxModel;
import io.octet.quant.QuantOptions;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.validate.Latency;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * Times candidates where they will run: in one executor task, each candidate beside the FP32 model
 * on the same rows (the model's own input shapes), the same thread count, alternating, as
 * validation times the published model. One task for all candidates, so every ratio comes from the
 * same CPU; it also reports that CPU's flags and each candidate's size.
 *
 * @param store storage
 * @param modelName the model's name
 * @param base the FP32 starting point
 * @param candidates the candidates' options, in order
 * @param batchSize rows per batch
 * @param threads intra-op threads for both sessions
 * @param rounds timing rounds
 */
public record LatencyTask(
    HadoopObjectStore store,
    String modelName,
    StagedBase base,
    List<QuantOptions> candidates,
    int batchSize,
    int threads,
    int rounds)
    implements Serializable {

  /**
   * One candidate's timing.
   *
   * @param fp32MsPerRow FP32's median milliseconds per row, measured beside this candidate
   * @param msPerRow the candidate's
   * @param bytes the candidate's serialized size
   * @param error why the candidate could not be built or run (null when it was timed)
   */
  public record Timing(double fp32MsPerRow, double msPerRow, long bytes, String error)
      implements Serializable {
    /**
     * How many times faster than FP32.
     *
     * @return the speedup, NaN when not timed
     */
    public double speedup() {
      return fp32MsPerRow / msPerRow;
    }
  }

  /**
   * Every candidate's timing, and the CPU that measured them.
   *
   * @param timings in the candidates' order
   * @param cpu the executor's CPU
   */
  public record Result(List<Timing> timings, CpuFeatures cpu) implements Serializable {}

  /**
   * Times the candidates on rows (no rows: sizes only, speedups NaN).
   *
   * @param rows the rows to time on
   * @return the result
   */
  public Result run(List<Sample> rows) {
    List<Timing> out = new ArrayList<>();
    List<InputBatch> batches = new ArrayList<>();
    var settings = new OrtRuntime.SessionSettings(threads, true);
    try (ExecutorModels.Lease fp32 =
        ExecutorModels.lease(store, base.fp32Uri(), base.fp32Sha(), base.dataFiles(), settings)) {
      for (List<Sample> b : Batching.byShape(rows, batchSize)) {
        batches.add(InputBatch.of(b));
      }
      for (QuantOptions o : candidates) {
        out.add(time(o, fp32.session(), batches, settings));
      }
    } finally {
      batches.forEach(InputBatch::close);
    }
    return new Result(out, CpuFeatures.detect());
  }

  /**
   * Builds and times one candidate. A candidate that cannot be built or run (a mode that does not
   * support an operator, say) is reported with its error, and the others are still timed.
   */
  private Timing time(
      QuantOptions o, OrtSession fp32, List<InputBatch> batches, OrtRuntime.SessionSettings s) {
    long bytes = -1;
    try {
      OnnxModel candidate = EvaluationTask.build(store, modelName, base, o);
      bytes = candidate.proto().getSerializedSize();
      if (batches.isEmpty()) {
        return new Timing(Double.NaN, Double.NaN, bytes, null);
      }
      // One candidate session open at a time: memory stays at FP32 plus one candidate.
      try (OrtSession q = OrtRuntime.open(candidate, s)) {
        Latency.Comparison c = Latency.compare(fp32, q, batches, rounds);
        return new Timing(c.msPerRowA(), c.msPerRowB(), bytes, null);
      }
    } catch (OrtException | RuntimeException e) {
      return new Timing(
          Double.NaN,
          Double.NaN,
          bytes,
          io.octet.jobs.pipeline.Failures.oneLine(io.octet.jobs.pipeline.Failures.describe(e)));
    }
  }
}
