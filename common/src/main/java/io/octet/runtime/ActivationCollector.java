package io.octet.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.error.QuantErrors;
import io.octet.histogram.HistogramAccumulator;
import io.octet.memory.ActivationFootprint;
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
    observe(batch, null, 0);
  }

  /**
   * Runs one batch, adds its activations to the histograms and tells a footprint how large each
   * returned tensor was.
   *
   * @param batch the inputs
   * @param footprint measurements go here (null: none)
   * @param dynamicDim the batch's {@link ActivationFootprint#dynamicDim}
   */
  public void observe(InputBatch batch, ActivationFootprint footprint, long dynamicDim) {
    try (OrtSession.Result r = session.run(batch.tensorsFor(modelInputs), requested)) {
      for (Map.Entry<String, String> e : outputFor.entrySet()) {
        OnnxTensor v = (OnnxTensor) r.get(e.getValue()).orElseThrow();
        if (footprint != null) {
          long bytes = 4L * v.getInfo().getNumElements();
          footprint.observe(e.getKey(), bytes / Math.max(1, batch.size()), dynamicDim);
        }
        FloatBuffer fb = v.getFloatBuffer();
        HistogramAccumulator acc = accumulators.get(e.getKey());
        // A tensor with a leading 1 in a batch of several rows is shared by every row (position
        // embeddings, broadcast masks): count it once per row, so that histograms do not depend
        // on how rows are batched.
        long[] shape = v.getInfo().getShape();
        int copies = batch.size() > 1 && shape.length > 0 && shape[0] == 1 ? batch.size() : 1;
        for (int k = 0; k < copies; k++) {
          acc.add(fb.duplicate());
        }
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
