package io.octet.validate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.error.QuantErrors;
import io.octet.runtime.InputBatch;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Set;

/**
 * Runs an FP32 and an INT8 session on the same batch and feeds the per-row comparison into a {@link
 * MetricsAccumulator}. Sessions are borrowed; results are closed per batch.
 */
public final class OutputComparer {
  private final OrtSession fp32;
  private final OrtSession int8;
  private final String modelName;
  private final ValidationOptions opts;
  private final String output;
  private RunTimes times;
  private boolean warm;
  private long timedCalls;

  /**
   * Creates a comparer.
   *
   * @param fp32 session on the FP32 model
   * @param int8 session on the quantized model
   * @param modelName the model's name, for errors
   * @param opts what to compare
   */
  public OutputComparer(
      OrtSession fp32, OrtSession int8, String modelName, ValidationOptions opts) {
    this.fp32 = fp32;
    this.int8 = int8;
    this.modelName = modelName;
    this.opts = opts;
    this.output = opts.output().isEmpty() ? fp32.getOutputNames().iterator().next() : opts.output();
    if (!fp32.getOutputNames().contains(output)) {
      throw QuantErrors.badData(
          modelName,
          "validation.output '" + output + "' is not an output of the model",
          "Use one of " + fp32.getOutputNames() + ".");
    }
  }

  /**
   * Times the two models on every batch but the first from now on (see {@link RunTimes}).
   *
   * @param into where the times go
   * @return this comparer
   */
  public OutputComparer timed(RunTimes into) {
    this.times = into;
    this.warm = false;
    this.timedCalls = 0;
    return this;
  }

  /**
   * Compares one batch.
   *
   * @param batch the inputs
   * @param acc where the per-row figures go
   */
  public void compare(InputBatch batch, MetricsAccumulator acc) {
    compare(batch, acc, java.util.List.of(), null);
  }

  /**
   * Compares one batch, and the outputs of quantized nodes when asked.
   *
   * @param batch the inputs
   * @param acc where the per-row figures go
   * @param nodeOutputs intermediate tensors both models expose as outputs (may be empty)
   * @param nodes where per-node SQNR goes (null when nodeOutputs is empty)
   */
  public void compare(
      InputBatch batch,
      MetricsAccumulator acc,
      java.util.List<String> nodeOutputs,
      NodeSqnr nodes) {
    Set<String> wanted = new java.util.LinkedHashSet<>();
    wanted.add(output);
    wanted.addAll(nodeOutputs);
    // When timed, the two models take turns going first, so neither always finds the other's
    // data in the caches.
    boolean int8First = times != null && (timedCalls++ & 1) == 1;
    OrtSession.Result ra = null;
    OrtSession.Result rb = null;
    try {
      long t0 = System.nanoTime();
      if (int8First) {
        rb = run(int8, batch, wanted, "running the INT8 model");
      } else {
        ra = run(fp32, batch, wanted, "running the FP32 model");
      }
      long t1 = System.nanoTime();
      if (int8First) {
        ra = run(fp32, batch, wanted, "running the FP32 model");
      } else {
        rb = run(int8, batch, wanted, "running the INT8 model");
      }
      long t2 = System.nanoTime();
      if (times != null) {
        if (warm) {
          times.add(int8First ? t2 - t1 : t1 - t0, int8First ? t1 - t0 : t2 - t1, batch.size());
        }
        warm = true;
      }
      compareOutputs(ra, rb, batch, acc, nodeOutputs, nodes);
    } finally {
      if (ra != null) {
        ra.close();
      }
      if (rb != null) {
        rb.close();
      }
    }
  }

  private void compareOutputs(
      OrtSession.Result ra,
      OrtSession.Result rb,
      InputBatch batch,
      MetricsAccumulator acc,
      java.util.List<String> nodeOutputs,
      NodeSqnr nodes) {
    float[][] a = rows(ra, batch);
    float[][] b = rows(rb, batch);
    List<Sample> rows = batch.rows();
    for (int i = 0; i < rows.size(); i++) {
      acc.add(a[i], b[i], rows.get(i).label());
    }
    for (String t : nodeOutputs) {
      nodes.add(t, buffer(ra, t), buffer(rb, t));
    }
  }

  private OrtSession.Result run(OrtSession s, InputBatch batch, Set<String> outputs, String what) {
    try {
      return s.run(batch.tensorsFor(s.getInputNames()), outputs);
    } catch (OrtException e) {
      throw QuantErrors.runtime(modelName, what + " for validation", e);
    }
  }

  private FloatBuffer buffer(OrtSession.Result r, String name) {
    return ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
  }

  private float[][] rows(OrtSession.Result r, InputBatch batch) {
    OnnxTensor t = (OnnxTensor) r.get(output).orElseThrow();
    long[] shape = t.getInfo().getShape();
    FloatBuffer fb = t.getFloatBuffer();
    int n = batch.size();
    int perRow = fb.remaining() / n;
    float[][] rows = new float[n][];
    for (int i = 0; i < n; i++) {
      float[] row = new float[perRow];
      fb.get(row);
      rows[i] = opts.pooling() == Pooling.MEAN ? meanPool(row, shape, batch.rows().get(i)) : row;
    }
    return rows;
  }

  private float[] meanPool(float[] row, long[] shape, Sample s) {
    if (shape.length != 3) {
      throw QuantErrors.badData(
          modelName,
          "mean pooling needs an output of shape [rows, sequence, dim], got rank " + shape.length,
          "Set validation.pooling = none for this model.");
    }
    int seq = (int) shape[1];
    int dim = (int) shape[2];
    TensorValue mask = s.inputs().get(opts.maskInput());
    float[] out = new float[dim];
    int count = 0;
    for (int p = 0; p < seq; p++) {
      if (mask != null && maskValue(mask, p) == 0) {
        continue;
      }
      count++;
      for (int d = 0; d < dim; d++) {
        out[d] += row[p * dim + d];
      }
    }
    if (count > 0) {
      for (int d = 0; d < dim; d++) {
        out[d] /= count;
      }
    }
    return out;
  }

  private static long maskValue(TensorValue mask, int p) {
    Object d = mask.data();
    if (d instanceof long[] l) {
      return l[p];
    }
    if (d instanceof int[] i) {
      return i[p];
    }
    if (d instanceof float[] f) {
      return f[p] != 0 ? 1 : 0;
    }
    return ((byte[]) d)[p];
  }
}
