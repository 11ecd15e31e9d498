package io.octet.tune;

import io.octet.onnx.OnnxModel;
import io.octet.validate.ValidationMetrics;
import java.util.List;

/**
 * Measures candidate quantized models against FP32 on the tuning sample. The local implementation
 * runs them one after another; the Spark one spreads candidates and rows over executors and merges
 * the per-partition metrics exactly.
 */
public interface Evaluator {
  /**
   * Evaluates candidates.
   *
   * @param candidates recipes for quantized models (a starting point and options)
   * @return their metrics, in the same order
   */
  List<ValidationMetrics> evaluate(List<Candidate> candidates);

  /**
   * Measures how many times faster than FP32 a candidate runs on the sample (same threads).
   *
   * @param candidate a quantized model
   * @return the speedup, or NaN when latency is not measured
   */
  double speedup(OnnxModel candidate);

  /**
   * Returns whether {@link #speedup} measures anything: when it does not, callers need not build
   * the candidate to ask.
   *
   * @return true unless latency is off
   */
  default boolean timesCandidates() {
    return true;
  }
}
