package io.octet.quant;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.QuantType;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.quant.QuantPlan.ActivationQuant;
import io.octet.quant.QuantPlan.NodeQuant;
import io.octet.quant.QuantPlan.Source;
import io.octet.quant.QuantPlan.WeightQuant;
import io.octet.runtime.TypeProbe.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Graph analysis for static quantization: picks the nodes to quantize and the activation tensors
 * that get Q/DQ pairs.
 *
 * <p>Rules, in order:
 *
 * <ol>
 *   <li>A node is quantized when its op type is enabled, the include/exclude lists allow it, it is
 *       in the default domain and its data inputs are float. Conv/ConvTranspose/MatMul/Gemm take
 *       constant weights as per-channel int8 and a constant bias as int32.
 *   <li>Ops whose int8 kernels produce int8 (Conv, Add, Mul, pooling, Concat, Resize, Softmax) also
 *       get their output quantized. When that output only feeds a Relu or Clip, the Q/DQ goes after
 *       the activation instead: its range already excludes the clipped part, and ONNX Runtime folds
 *       the activation into the int8 op.
 *   <li>MatMul and Gemm outputs stay float unless a quantized node reads them: ONNX Runtime runs
 *       "DQ → MatMul" with a float output as one integer kernel, so an extra Q/DQ would only cost
 *       time.
 *   <li>Range-preserving ops (Reshape, Transpose, MaxPool, ...) between quantized tensors reuse the
 *       upstream parameters, so the data moves as int8 and no calibration is spent on them.
 * </ol>
 */
public final class QuantPlanner {
  /** Ops whose quantized kernels emit quantized outputs. */
  static final Set<String> OUTPUT_QUANTIZED =
      Set.of(
          "Conv",
          "ConvTranspose",
          "Add",
          "Mul",
          "AveragePool",
          "GlobalAveragePool",
          "Concat",
          "Resize",
          "Softmax");

  /** Activations that clip their input's range and fold into the preceding quantized op. */
  private static final Set<String> FUSABLE_ACTIVATIONS = Set.of("Relu", "Clip");

  private QuantPlanner() {}

  /**
   * Plans static quantization.
   *
   * @param model the FP32 model
   * @param types tensor types from {@link io.octet.runtime.TypeProbe}
   * @param opts the options
   * @return the plan
   */
  public static QuantPlan plan(OnnxModel model, Map<String, TensorType> types, QuantOptions opts) {
    return new QuantPlanner.Run(model, types, opts).plan();
  }

  private static final class Run {
    private final OnnxGraph g;
    private final Map<String, TensorType> types;
    private final QuantOptions opts;
    private final Map<String, ActivationQuant> marked = new LinkedHashMap<>();
    private final List<NodeQuant> nodes = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    Run(OnnxModel model, Map<String, TensorType> types, QuantOptions opts) {
      this.g = new OnnxGraph(model.proto().getGraph());
      this.types = types;
      this.opts = opts;
    }

    QuantPlan plan() {
      List<NodeProto> all = g.nodes();
      for (int i = 0; i < all.size(); i++) {
        NodeProto n = all.get(i);
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
          continue;
        }
        if (!opts.opTypes().contains(n.getOpType())) {
          continue;
        }
        if (!opts.allows(n.getName(), n.getOpType())) {
          notes.add("kept FP32 by config: " + label(n));
          continue;
        }
        NodeQuant q = analyse(i, n);
        if (q != null) {
          nodes.add(q);
        }
      }
      // Mark in graph order so the activation map lists tensors topologically.
      Map<String, ActivationQuant> ordered = new LinkedHashMap<>();
      for (String t : topologicalTensors()) {
        ActivationQuant a = marked.get(t);
        if (a != null) {
          ordered.put(t, a);
        }
      }
      marked.clear();
      marked.putAll(ordered);
      shareThroughPreservingOps();
      return new QuantPlan(nodes, marked, notes);
    }

    private List<String> topologicalTensors() {
      List<String> out = new ArrayList<>();
      for (var v : g.proto().getInputList()) {
        out.add(v.getName());
      }
      out.addAll(g.initializers().keySet());
      for (NodeProto n : g.nodes()) {
        out.addAll(n.getOutputList());
      }
      return out;
    }

    private NodeQuant analyse(int index, NodeProto n) {
      String op = n.getOpType();
      List<Integer> acts = new ArrayList<>();
      List<WeightQuant> weights = new ArrayList<>();
      int bias = -1;
      int biasWeight = -1;
      switch (op) {
        case "Conv", "ConvTranspose" -> {
          if (!isConstFloat(input(n, 1))) {
            notes.add("kept FP32 (weights are not a constant initializer): " + label(n));
            return null;
          }
          acts.add(0);
          int axis = op.equals("Conv") ? 0 : 1;
          if (op.equals("ConvTranspose") && Nodes.intAttr(n, "group", 1) != 1) {
            axis = -1; // output channels are split across groups on axis 1: keep one scale
          }
          weights.add(weight(1, input(n, 1), axis));
          if (n.getInputCount() > 2 && !input(n, 2).isEmpty() && isConstFloat(input(n, 2))) {
            bias = 2;
            biasWeight = 1;
          }
        }
        case "MatMul" -> {
          for (int k = 0; k < 2; k++) {
            String in = input(n, k);
            if (isConstFloat(in)) {
              TensorProto w = g.initializer(in).orElseThrow();
              int axis = (k == 1 && w.getDimsCount() == 2) ? 1 : -1;
              weights.add(weight(k, in, axis));
            } else {
              acts.add(k);
            }
          }
        }
        case "Gemm" -> {
          if (Nodes.intAttr(n, "transA", 0) != 0 || isConstFloat(input(n, 0))) {
            notes.add("kept FP32 (transposed or constant A): " + label(n));
            return null;
          }
          acts.add(0);
          String b = input(n, 1);
          if (isConstFloat(b)) {
            int axis = Nodes.intAttr(n, "transB", 0) != 0 ? 0 : 1;
            weights.add(weight(1, b, axis));
            String c = n.getInputCount() > 2 ? input(n, 2) : "";
            float beta = Nodes.find(n, "beta").map(a -> a.getF()).orElse(1.0f);
            if (!c.isEmpty()
                && isConstFloat(c)
                && beta == 1.0f
                && g.initializer(c).orElseThrow().getDimsCount() == 1) {
              bias = 2;
              biasWeight = 1;
            }
          } else {
            acts.add(1);
          }
        }
        case "Add", "Mul", "Concat" -> {
          for (int k = 0; k < n.getInputCount(); k++) {
            String in = input(n, k);
            if (isConstFloat(in)) {
              weights.add(
                  new WeightQuant(k, in, -1, opts.activationType(), opts.activationSymmetric()));
            } else {
              acts.add(k);
            }
          }
        }
        case "Resize", "AveragePool", "GlobalAveragePool", "Softmax" -> acts.add(0);
        default -> {
          notes.add("op type " + op + " has no static quantization rule: " + label(n));
          return null;
        }
      }
      for (int k : acts) {
        String in = input(n, k);
        if (!isFloat(in)) {
          notes.add("kept FP32 (input '" + in + "' is not float): " + label(n));
          return null;
        }
      }
      if (acts.isEmpty()) {
        notes.add("kept FP32 (all inputs are constant): " + label(n));
        return null;
      }
      for (int k : acts) {
        markCalibrated(input(n, k));
      }
      if (OUTPUT_QUANTIZED.contains(op) && isFloat(n.getOutput(0))) {
        if (op.equals("Softmax")) {
          markFixed(n.getOutput(0), 0f, 1f);
        } else {
          markCalibrated(foldActivation(n.getOutput(0)));
        }
      }
      return new NodeQuant(index, n.getName(), n.getOutput(0), op, acts, weights, bias, biasWeight);
    }

    /** Follows a single Relu/Clip consumer, whose output range is the one worth quantizing. */
    private String foldActivation(String tensor) {
      String t = tensor;
      while (!g.isGraphOutput(t)) {
        List<NodeProto> cs = g.consumers(t);
        if (cs.size() != 1 || !FUSABLE_ACTIVATIONS.contains(cs.get(0).getOpType())) {
          break;
        }
        NodeProto act = cs.get(0);
        // Only an explicit exclusion stops the fold: an include list names the nodes to
        // quantize, and folding Relu/Clip into them is part of quantizing them.
        if (!act.getInput(0).equals(t)
            || opts.excludeNodes().contains(act.getName())
            || opts.excludeOpTypes().contains(act.getOpType())) {
          break;
        }
        t = act.getOutput(0);
      }
      return t;
    }

    private WeightQuant weight(int slot, String tensor, int axis) {
      return new WeightQuant(slot, tensor, opts.perChannel() ? axis : -1, QuantType.INT8, true);
    }

    private void markCalibrated(String tensor) {
      if (marked.containsKey(tensor)) {
        return;
      }
      TensorOverride o = opts.tensorOverrides().get(tensor);
      QuantType type =
          o != null && o.activationType() != null ? o.activationType() : opts.activationType();
      boolean sym = o != null && o.symmetric() != null ? o.symmetric() : opts.activationSymmetric();
      if (o != null && o.fixedRange()) {
        marked.put(
            tensor,
            new ActivationQuant(
                tensor, Source.FIXED, null, o.lo(), o.hi(), type, sym, null, Double.NaN));
        return;
      }
      CalibrationMethod m = o != null && o.method() != null ? o.method() : opts.method();
      double p = o != null && o.percentile() != null ? o.percentile() : opts.percentile();
      marked.put(
          tensor, new ActivationQuant(tensor, Source.CALIBRATED, null, 0f, 0f, type, sym, m, p));
    }

    private void markFixed(String tensor, float lo, float hi) {
      marked.putIfAbsent(
          tensor,
          new ActivationQuant(
              tensor, Source.FIXED, null, lo, hi, QuantType.UINT8, false, null, Double.NaN));
    }

    /**
     * For every marked output of a range-preserving op whose input chain reaches a marked tensor,
     * reuse that tensor's parameters, marking the intermediate tensors too so each op in the chain
     * sits between a DQ and a Q and runs on int8 data.
     */
    private void shareThroughPreservingOps() {
      Map<String, String> upstream = new HashMap<>();
      for (NodeProto n : g.nodes()) {
        if (QuantOptions.RANGE_PRESERVING.contains(n.getOpType())
            && (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))
            && n.getInputCount() > 0
            && opts.allows(n.getName(), n.getOpType())
            && isFloat(n.getInput(0))
            && !g.isConstant(n.getInput(0))) {
          upstream.put(n.getOutput(0), n.getInput(0));
        }
      }
      for (String t : new ArrayList<>(marked.keySet())) {
        List<String> chain = new ArrayList<>();
        String cur = t;
        String root = null;
        while (upstream.containsKey(cur)) {
          cur = upstream.get(cur);
          ActivationQuant up = marked.get(cur);
          if (up != null) {
            root = up.source() == Source.SHARED ? up.sharedWith() : cur;
            break;
          }
          chain.add(cur);
        }
        if (root == null) {
          continue;
        }
        ActivationQuant r = marked.get(root);
        share(t, r);
        for (String mid : chain) {
          share(mid, r);
        }
      }
      // Re-sort: shared intermediates were appended at the end.
      Map<String, ActivationQuant> ordered = new LinkedHashMap<>();
      for (String t : topologicalTensors()) {
        ActivationQuant a = marked.get(t);
        if (a != null) {
          ordered.put(t, a);
        }
      }
      marked.clear();
      marked.putAll(ordered);
    }

    private void share(String tensor, ActivationQuant root) {
      ActivationQuant cur = marked.get(tensor);
      if (cur != null && cur.source() == Source.FIXED) {
        return; // an explicit override wins over sharing
      }
      marked.put(
          tensor,
          new ActivationQuant(
              tensor,
              Source.SHARED,
              root.tensor(),
              0f,
              0f,
              root.type(),
              root.symmetric(),
              null,
              Double.NaN));
    }

    private String input(NodeProto n, int k) {
      return k < n.getInputCount() ? n.getInput(k) : "";
    }

    private boolean isConstFloat(String t) {
      return !t.isEmpty()
          && g.initializer(t).isPresent()
          && g.isConstant(t)
          && g.initializer(t).get().getDataType() == TensorProto.DataType.FLOAT_VALUE;
    }

    private boolean isFloat(String t) {
      if (t.isEmpty()) {
        return false;
      }
      TensorType tt = types.get(t);
      if (tt != null) {
        return tt.isFloat();
      }
      return g.declaredType(t).map(x -> x == TensorProto.DataType.FLOAT_VALUE).orElse(false);
    }

    private static String label(NodeProto n) {
      String name =
          n.getName().isEmpty() ? "(unnamed, output " + n.getOutput(0) + ")" : n.getName();
      return String.format(Locale.ROOT, "%s '%s'", n.getOpType(), name);
    }
  }
}
