package io.octet.tune;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.error.QuantErrors;
import io.octet.runtime.InputBatch;
import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Per-channel absolute maxima (over the last axis) of activation tensors, the statistic SmoothQuant
 * needs. Merging takes element-wise maxima: exact and order-free.
 */
public final class ChannelMax implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, float[]> max = new LinkedHashMap<>();

  /**
   * Runs a session that exposes the tensors as outputs on one batch and folds them in.
   *
   * @param s the session (augmented model)
   * @param batch the inputs
   * @param outputFor tensor → output name
   * @param model the model's name, for errors
   */
  public void observe(OrtSession s, InputBatch batch, Map<String, String> outputFor, String model) {
    try (OrtSession.Result r =
        s.run(batch.tensorsFor(s.getInputNames()), new LinkedHashSet<>(outputFor.values()))) {
      for (Map.Entry<String, String> e : outputFor.entrySet()) {
        OnnxTensor t = (OnnxTensor) r.get(e.getValue()).orElseThrow();
        long[] shape = t.getInfo().getShape();
        int channels = (int) shape[shape.length - 1];
        add(e.getKey(), t.getFloatBuffer(), channels);
      }
    } catch (OrtException ex) {
      throw QuantErrors.runtime(model, "collecting per-channel maxima", ex);
    }
  }

  /**
   * Folds values laid out with the channel as the fastest axis.
   *
   * @param tensor the tensor name
   * @param values its values
   * @param channels the size of the last axis
   */
  public void add(String tensor, FloatBuffer values, int channels) {
    float[] m = max.computeIfAbsent(tensor, k -> new float[channels]);
    if (m.length != channels) {
      throw new IllegalArgumentException(
          "Tensor '" + tensor + "' has " + channels + " channels, earlier batches " + m.length);
    }
    int n = values.remaining();
    int base = values.position();
    for (int i = 0; i < n; i++) {
      float a = Math.abs(values.get(base + i));
      int c = i % channels;
      if (a > m[c] && Float.isFinite(a)) {
        m[c] = a;
      }
    }
  }

  /**
   * Merges another collector into this one.
   *
   * @param o the other
   */
  public void merge(ChannelMax o) {
    for (Map.Entry<String, float[]> e : o.max.entrySet()) {
      float[] m = max.get(e.getKey());
      if (m == null) {
        max.put(e.getKey(), e.getValue().clone());
      } else {
        for (int i = 0; i < m.length; i++) {
          m[i] = Math.max(m[i], e.getValue()[i]);
        }
      }
    }
  }

  /**
   * Returns the maxima.
   *
   * @return per tensor, one value per channel
   */
  public Map<String, float[]> maxima() {
    return max;
  }
}
