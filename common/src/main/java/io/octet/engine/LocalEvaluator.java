package io.octet.engine;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.error.QuantErrors;
import io.octet.onnx.OnnxModel;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.tune.Candidate;
import io.octet.tune.Evaluator;
import io.octet.validate.Latency;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.util.ArrayList;
import java.util.List;

/** Evaluates tuning candidates one after another on this machine. */
public final class LocalEvaluator implements Evaluator {
  private final OnnxModel fp32;
  private final List<Sample> rows;
  private final ValidationOptions opts;
  private final int threads;
  private final int latencyRows;

  /**
   * Creates an evaluator.
   *
   * @param fp32 the reference model
   * @param rows the tuning sample
   * @param opts what to compare
   * @param threads intra-op threads
   * @param latencyRows rows used for timing (0 = no timing)
   */
  public LocalEvaluator(
      OnnxModel fp32, List<Sample> rows, ValidationOptions opts, int threads, int latencyRows) {
    this.fp32 = fp32;
    this.rows = List.copyOf(rows);
    this.opts = opts;
    this.threads = threads;
    this.latencyRows = latencyRows;
  }

  @Override
  public List<ValidationMetrics> evaluate(List<Candidate> candidates) {
    List<ValidationMetrics> out = new ArrayList<>();
    for (Candidate c : candidates) {
      out.add(LocalEngine.validate(fp32, c.build(fp32.name()), rows, opts, 32, threads));
    }
    return out;
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
    var s = new OrtRuntime.SessionSettings(threads, true);
    try (OrtSession a = OrtRuntime.open(fp32, s);
        OrtSession b = OrtRuntime.open(candidate, s)) {
      for (List<Sample> batch :
          Batching.byShape(rows.subList(0, Math.min(latencyRows, rows.size())), 32)) {
        batches.add(InputBatch.of(batch));
      }
      return Latency.compare(a, b, batches, 3).speedup();
    } catch (OrtException e) {
      throw QuantErrors.runtime(fp32.name(), "timing a tuning candidate", e);
    } finally {
      batches.forEach(InputBatch::close);
    }
  }
}
