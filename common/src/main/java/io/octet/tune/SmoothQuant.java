package io.octet.tune;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import io.octet.quant.QuantOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SmoothQuant: migrates activation outliers into MatMul weights so both quantize well.
 *
 * <p>For {@code Y = X·W} with a constant W [K, N], each input channel k gets a factor {@code s_k =
 * max|X_k|^α / max|W_k|^(1−α)}; the model computes {@code (X / s)·(diag(s)·W)}, which is the same
 * product in exact arithmetic, with the activation's per-channel spread divided by s and the
 * weights' multiplied by it. MatMuls sharing an input (attention's Q, K, V) share one factor (the
 * weight maxima are taken over all of them) and one inserted Mul.
 */
public final class SmoothQuant {
  private SmoothQuant() {}

  /**
   * The activation tensors SmoothQuant needs per-channel maxima for.
   *
   * @param model the FP32 model
   * @param opts include/exclude lists
   * @return activation inputs of MatMuls with constant 2-D weights
   */
  public static List<String> tensors(OnnxModel model, QuantOptions opts) {
    return new ArrayList<>(groups(model, opts).keySet());
  }

  private static Map<String, List<NodeProto>> groups(OnnxModel model, QuantOptions opts) {
    OnnxGraph g = new OnnxGraph(model.proto().getGraph());
    Map<String, List<NodeProto>> out = new LinkedHashMap<>();
    for (NodeProto n : model.proto().getGraph().getNodeList()) {
      if (!n.getOpType().equals("MatMul")
          || !n.getDomain().isEmpty()
          || !opts.allows(n.getName(), n.getOpType())) {
        continue;
      }
      String w = n.getInput(1);
      TensorProto t = g.initializer(w).orElse(null);
      if (t == null
          || !g.isConstant(w)
          || t.getDimsCount() != 2
          || t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
        continue;
      }
      if (g.isConstant(n.getInput(0))) {
        continue;
      }
      out.computeIfAbsent(n.getInput(0), k -> new ArrayList<>()).add(n);
    }
    return out;
  }

  /**
   * Applies SmoothQuant.
   *
   * @param model the FP32 model
   * @param maxima per-channel |x| maxima of the activation inputs ({@link #tensors})
   * @param alpha migration strength in [0, 1] (0.5 is the usual choice)
   * @param opts include/exclude lists
   * @return the smoothed FP32 model (same outputs up to float rounding)
   */
  public static OnnxModel apply(
      OnnxModel model, Map<String, float[]> maxima, double alpha, QuantOptions opts) {
    GraphProto g = model.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);
    Map<String, List<NodeProto>> groups = groups(model, opts);
    Map<String, String> newInput = new HashMap<>();
    Map<String, TensorProto> newWeights = new HashMap<>();
    Map<String, NodeProto> insertBefore = new HashMap<>();
    List<TensorProto> added = new ArrayList<>();
    for (Map.Entry<String, List<NodeProto>> e : groups.entrySet()) {
      float[] xmax = maxima.get(e.getKey());
      if (xmax == null) {
        continue;
      }
      int k = xmax.length;
      float[] wmax = new float[k];
      Map<String, float[]> weights = new LinkedHashMap<>();
      boolean fits = true;
      for (NodeProto n : e.getValue()) {
        TensorProto w = index.initializer(n.getInput(1)).orElseThrow();
        if (w.getDims(0) != k) {
          fits = false;
          break;
        }
        float[] v = model.floats(w);
        weights.put(w.getName(), v);
        int cols = (int) w.getDims(1);
        for (int r = 0; r < k; r++) {
          for (int c = 0; c < cols; c++) {
            wmax[r] = Math.max(wmax[r], Math.abs(v[r * cols + c]));
          }
        }
      }
      if (!fits) {
        continue;
      }
      float[] s = new float[k];
      float[] inv = new float[k];
      for (int r = 0; r < k; r++) {
        double f =
            xmax[r] > 0 && wmax[r] > 0
                ? Math.pow(xmax[r], alpha) / Math.pow(wmax[r], 1 - alpha)
                : 1.0;
        f = Math.min(1e4, Math.max(1e-4, f));
        s[r] = (float) f;
        inv[r] = (float) (1.0 / f);
      }
      String scale = index.freshName(e.getKey() + "_smooth_scale");
      String smoothed = index.freshName(e.getKey() + "_smoothed");
      added.add(TensorData.ofFloats(scale, new long[] {k}, inv));
      NodeProto mul =
          Nodes.node(
              "Mul",
              index.freshName(e.getKey() + "_SmoothQuant"),
              List.of(e.getKey(), scale),
              List.of(smoothed));
      insertBefore.put(e.getValue().get(0).getOutput(0), mul);
      for (NodeProto n : e.getValue()) {
        newInput.put(n.getOutput(0), smoothed);
        TensorProto w = index.initializer(n.getInput(1)).orElseThrow();
        if (newWeights.containsKey(w.getName())) {
          continue;
        }
        float[] v = weights.get(w.getName());
        int cols = (int) w.getDims(1);
        float[] out = new float[v.length];
        for (int r = 0; r < k; r++) {
          for (int c = 0; c < cols; c++) {
            out[r * cols + c] = v[r * cols + c] * s[r];
          }
        }
        newWeights.put(w.getName(), TensorData.ofFloats(w.getName(), new long[] {k, cols}, out));
      }
    }
    GraphProto.Builder b = g.toBuilder().clearNode();
    for (NodeProto n : g.getNodeList()) {
      if (n.getOutputCount() > 0 && insertBefore.containsKey(n.getOutput(0))) {
        b.addNode(insertBefore.get(n.getOutput(0)));
      }
      String in = n.getOutputCount() > 0 ? newInput.get(n.getOutput(0)) : null;
      b.addNode(in == null ? n : n.toBuilder().setInput(0, in).build());
    }
    for (int i = 0; i < b.getInitializerCount(); i++) {
      TensorProto t = newWeights.get(b.getInitializer(i).getName());
      if (t != null) {
        b.setInitializer(i, t);
      }
    }
    b.addAllInitializer(added);
    return model.withProto(model.proto().toBuilder().setGraph(b).build());
  }
}
