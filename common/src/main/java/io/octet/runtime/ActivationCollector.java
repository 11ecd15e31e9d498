package io.octet.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.error.QuantErrors;
import io.octet.histogram.HistogramAccumulator;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Runs the calibration (augmented) model over batches and folds every calibrated tensor into its
 * histogram. Memory is O(tensors × bins), whatever the number of rows.
 *
 * <p>The session is borrowed, not owned (executors share one cached session per model); the tensors
 * ONNX Runtime returns are closed after each batch.
 */
public final class ActivationCollector {
  private final OrtSession session;
  private final String modelName;
  private final Map<String, String> outputFor;
  private final Map<String, HistogramAccumulator> accumulators = new LinkedHashMap<>();
  private final Set<String> requested;
  private final Set<String> modelInputs;
  private long rows;

  /**
   * Creates a collector.
   *
   * @param session a session on the augmented model
   * @param modelName the model's name, for errors
   * @param outputFor calibrated tensor → graph output name (from the augmenter)
   * @param numBins histogram bins per tensor
   */
  public ActivationCollector(
      OrtSession session, String modelName, Map<String, String> outputFor, int numBins) {
    this.session = session;
    this.modelName = modelName;
    this.outputFor = new LinkedHashMap<>(outputFor);
    this.requested = new LinkedHashSet<>(outputFor.values());
    this.modelInputs = session.getInputNames();
    for (String t : outputFor.keySet()) {
      accumulators.put(t, new HistogramAccumulator(numBins));
    }
  }

  /**
   * Runs one batch and adds its activations to the histograms.
   *
   * @param batch the inputs
   */
  public void observe(InputBatch batch) {
    try (OrtSession.Result r = session.run(batch.tensorsFor(modelInputs), requested)) {
      for (Map.Entry<String, String> e : outputFor.entrySet()) {
        OnnxValue v = r.get(e.getValue()).orElseThrow();
        FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
        accumulators.get(e.getKey()).add(fb);
      }
      rows += batch.size();
    } catch (OrtException e) {
      throw QuantErrors.runtime(modelName, "running calibration inference", e);
    }
  }

  /**
   * Returns the histograms collected so far, by tensor name.
   *
   * @return the accumulators (live; merge or snapshot them)
   */
  public Map<String, HistogramAccumulator> accumulators() {
    return accumulators;
  }

  /**
   * Returns the number of rows observed.
   *
   * @return rows
   */
  public long rows() {
    return rows;
  }
}
