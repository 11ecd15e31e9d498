package io.octet.quant;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import io.octet.runtime.TypeProbe.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * FP16 mode: float initializers and compute in half precision, FP32 at the model's boundaries and
 * around operators listed as numerically fragile.
 *
 * <p>Graph inputs and outputs keep their FP32 types (callers see no change): a Cast follows each
 * float input and precedes each float output. Nodes in the keep-FP32 list read FP32 copies of their
 * inputs and publish FP16 copies of their outputs; a chain of such nodes passes FP32 along without
 * casting back and forth. Nodes with subgraphs are kept in FP32 the same way, and the outer tensors
 * a subgraph reads are given FP32 copies, so If/Loop/Scan bodies run unchanged. Operators ONNX
 * Runtime's CPU provider has no FP16 kernel for are cast by the runtime itself.
 *
 * <p>A constant with finite values beyond the half-precision range (±65504) cannot be stored in
 * FP16 without changing what it means: a BatchNormalization variance of 9.8e7 saturated to 65504
 * scales its channel by 39×, and 1e5 as a scale factor becomes 65504. Such a constant stays FP32
 * and so do the nodes reading it; their outputs are clipped to ±65504 before the cast to FP16, so a
 * mask built from "a very large number" (-3.4e38, in Mul, Expand, Where...) arrives as -65504,
 * still very large, rather than as -Inf, where 0 × -Inf would make NaN.
 */
public final class Fp16Converter {
  private static final int F32 = DataType.FLOAT_VALUE;
  private static final int F16 = DataType.FLOAT16_VALUE;

  /** The largest finite binary16 value. */
  private static final float HALF_MAX = 65504f;

  /** Inputs that ONNX requires to stay float32 whatever the data type (Resize roi/scales). */
  private static final Map<String, Set<Integer>> FLOAT32_SLOTS =
      Map.of("Resize", Set.of(1, 2), "Upsample", Set.of(1));

  private Fp16Converter() {}

  /**
   * Converts a model to FP16.
   *
   * @param model the FP32 model
   * @param types tensor types from {@link io.octet.runtime.TypeProbe}
   * @param opts options (the keep-FP32 op list, exclude lists)
   * @param metadata provenance entries for metadata_props
   * @return the FP16 model
   */
  public static OnnxModel convert(
      OnnxModel model,
      Map<String, TensorType> types,
      QuantOptions opts,
      Map<String, String> metadata) {
    return new Run(model, types, opts).convert(metadata);
  }

  private static final class Run {
    private final OnnxModel model;
    private final GraphProto g;
    private final OnnxGraph index;
    private final Map<String, TensorType> types;
    private final QuantOptions opts;
    private final Map<String, String> f32Copy = new HashMap<>();
    private final Map<String, String> rename = new HashMap<>();
    private final Set<String> keepF32Initializers = new HashSet<>();
    private final Set<String> wideConstants;

    Run(OnnxModel model, Map<String, TensorType> types, QuantOptions opts) {
      this.model = model;
      this.g = model.proto().getGraph();
      this.index = new OnnxGraph(g);
      this.types = types;
      this.opts = opts;
      this.wideConstants = wideConstants();
      // Only initializer names are looked up here, so Constant outputs in the set are harmless.
      keepF32Initializers.addAll(wideConstants);
    }

    /** Constants (initializers and Constant outputs) that FP16 cannot hold. */
    private Set<String> wideConstants() {
      Set<String> wide = new HashSet<>();
      for (TensorProto t : g.getInitializerList()) {
        if (t.getDataType() == F32 && beyondHalfRange(model.floats(t))) {
          wide.add(t.getName());
        }
      }
      for (NodeProto n : g.getNodeList()) {
        if (!n.getOpType().equals("Constant") || n.getOutputCount() != 1) {
          continue;
        }
        for (AttributeProto a : n.getAttributeList()) {
          if ((a.hasT() && a.getT().getDataType() == F32 && beyondHalfRange(model.floats(a.getT())))
              || (a.getName().equals("value_float") && beyondHalfRange(new float[] {a.getF()}))) {
            wide.add(n.getOutput(0));
          }
        }
      }
      return wide;
    }

    /** Whether a node is kept FP32 because it reads or is a constant FP16 cannot hold. */
    private boolean touchesWide(NodeProto n) {
      return n.getOutputList().stream().anyMatch(wideConstants::contains)
          || n.getInputList().stream().anyMatch(wideConstants::contains);
    }

    private static boolean beyondHalfRange(float[] v) {
      for (float x : v) {
        if (Float.isFinite(x) && Math.abs(x) > HALF_MAX) {
          return true;
        }
      }
      return false;
    }

    private boolean keep(NodeProto n) {
      boolean hasSubgraph =
          n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
      return hasSubgraph
          || touchesWide(n)
          || opts.fp16KeepOpTypes().contains(n.getOpType())
          || !opts.allows(n.getName(), n.getOpType())
          || (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx"));
    }

    private boolean isF32(String t) {
      if (t.isEmpty()) {
        return false;
      }
      TensorType tt = types.get(t);
      if (tt != null) {
        return tt.isFloat();
      }
      return index.declaredType(t).map(x -> x == F32).orElse(false);
    }

    OnnxModel convert(Map<String, String> metadata) {
      // Initializers read only through FP32 slots (Resize scales) stay FP32.
      for (NodeProto n : g.getNodeList()) {
        Set<Integer> slots = FLOAT32_SLOTS.getOrDefault(n.getOpType(), Set.of());
        for (int k : slots) {
          if (k < n.getInputCount() && index.initializer(n.getInput(k)).isPresent()) {
            keepF32Initializers.add(n.getInput(k));
          }
        }
      }
      List<NodeProto> out = new ArrayList<>();
      // Boundary: each float graph input gets an FP16 copy that the graph reads.
      for (ValueInfoProto in : g.getInputList()) {
        String name = in.getName();
        if (index.initializer(name).isPresent() || !isF32(name)) {
          continue;
        }
        String half = index.freshName(name + "_fp16");
        out.add(cast(name, half, F16));
        rename.put(name, half);
        f32Copy.put(half, name);
      }
      Set<String> outputs = new HashSet<>();
      for (ValueInfoProto o : g.getOutputList()) {
        if (isF32(o.getName())) {
          outputs.add(o.getName());
        }
      }
      for (NodeProto n : g.getNodeList()) {
        if (keep(n)) {
          keepNode(n, out, outputs);
        } else {
          halfNode(n, out, outputs);
        }
      }
      GraphProto.Builder gb = g.toBuilder().clearNode().addAllNode(out).clearValueInfo();
      for (int i = 0; i < gb.getInitializerCount(); i++) {
        TensorProto t = gb.getInitializer(i);
        if (t.getDataType() == F32 && !keepF32Initializers.contains(t.getName())) {
          gb.setInitializer(i, toHalf(t));
        }
      }
      // Added after the conversion loop: the saturation bounds stay FP32.
      gb.addAllInitializer(addedInitializers);
      ModelProto.Builder mb = model.proto().toBuilder().setGraph(gb);
      Provenance.stamp(mb, metadata);
      return model.withProto(mb.build());
    }

    private void halfNode(NodeProto n, List<NodeProto> out, Set<String> outputs) {
      NodeProto.Builder b = n.toBuilder();
      Set<Integer> f32Slots = FLOAT32_SLOTS.getOrDefault(n.getOpType(), Set.of());
      for (int k = 0; k < b.getInputCount(); k++) {
        String in = b.getInput(k);
        if (f32Slots.contains(k) && isF32(in) && index.initializer(in).isEmpty()) {
          b.setInput(k, f32Of(in, out));
        } else {
          b.setInput(k, rename.getOrDefault(in, in));
        }
      }
      if (n.getOpType().equals("Cast") && Nodes.intAttr(n, "to", 0) == F32) {
        replaceAttr(b, Nodes.attr("to", (long) F16));
      }
      if (n.getOpType().equals("Constant") || n.getOpType().equals("ConstantOfShape")) {
        for (int i = 0; i < b.getAttributeCount(); i++) {
          AttributeProto a = b.getAttribute(i);
          if (a.hasT() && a.getT().getDataType() == F32) {
            b.setAttribute(i, a.toBuilder().setT(toHalf(a.getT())));
          } else if (a.getName().equals("value_float")) {
            TensorProto t =
                TensorData.ofFloat16(
                    n.getOutput(0), new long[0], clampToHalfRange(new float[] {a.getF()}));
            b.setAttribute(i, Nodes.attr("value", t));
          }
        }
      }
      boundaryOutputs(b, out, outputs, F16);
    }

    private void keepNode(NodeProto n, List<NodeProto> out, Set<String> outputs) {
      NodeProto.Builder b = n.toBuilder();
      for (int k = 0; k < b.getInputCount(); k++) {
        String in = b.getInput(k);
        if (isF32(in)) {
          b.setInput(k, f32Of(in, out));
        } else {
          b.setInput(k, rename.getOrDefault(in, in));
        }
      }
      // Subgraphs read outer tensors by name: give them the FP32 copies.
      for (int i = 0; i < b.getAttributeCount(); i++) {
        AttributeProto a = b.getAttribute(i);
        if (a.hasG() || a.getGraphsCount() > 0) {
          AttributeProto.Builder ab = a.toBuilder();
          if (a.hasG()) {
            ab.setG(renameOuterReads(a.getG(), out));
          }
          for (int k = 0; k < a.getGraphsCount(); k++) {
            ab.setGraphs(k, renameOuterReads(a.getGraphs(k), out));
          }
          b.setAttribute(i, ab);
        }
      }
      // Outputs: the node writes FP32 under a new name; an FP16 copy takes the original name.
      for (int k = 0; k < b.getOutputCount(); k++) {
        String o = b.getOutput(k);
        if (!isF32(o)) {
          continue;
        }
        if (outputs.contains(o)) {
          // A graph output stays FP32 under its own name; FP16 readers, if any, get a copy.
          if (index.consumers(o).isEmpty()) {
            continue;
          }
          String half = index.freshName(o + "_fp16");
          pendingCasts.add(cast(o, half, F16));
          rename.put(o, half);
          f32Copy.put(half, o);
          continue;
        }
        if (index.consumers(o).stream().allMatch(this::keep)) {
          // Only FP32 readers: the tensor stays FP32 under its own name, no cast.
          f32Copy.put(o, o);
          continue;
        }
        String f = index.freshName(o + "_fp32");
        b.setOutput(k, f);
        f32Copy.put(o, f);
        if (touchesWide(n)) {
          // Its output can be beyond the half range too: saturate instead of becoming Inf.
          String clipped = index.freshName(o + "_clipped");
          pendingCasts.add(clipToHalfRange(f, clipped));
          pendingCasts.add(cast(clipped, o, F16));
        } else {
          pendingCasts.add(cast(f, o, F16));
        }
      }
      out.add(b.build());
      out.addAll(pendingCasts);
      pendingCasts.clear();
    }

    private final List<NodeProto> pendingCasts = new ArrayList<>();

    /** Graph outputs written by an FP16 node: the node writes FP16, a Cast restores FP32. */
    private void boundaryOutputs(
        NodeProto.Builder b, List<NodeProto> out, Set<String> outputs, int type) {
      List<NodeProto> after = new ArrayList<>();
      for (int k = 0; k < b.getOutputCount(); k++) {
        String o = b.getOutput(k);
        if (outputs.contains(o)) {
          String half = index.freshName(o + "_fp16");
          b.setOutput(k, half);
          rename.put(o, half);
          after.add(cast(half, o, F32));
          f32Copy.put(half, o);
        }
      }
      out.add(b.build());
      out.addAll(after);
    }

    /** Returns an FP32 version of a (now FP16) tensor, casting once and reusing the cast. */
    private String f32Of(String t, List<NodeProto> out) {
      String current = rename.getOrDefault(t, t);
      String have = f32Copy.get(current);
      if (have != null) {
        return have;
      }
      if (index.initializer(t).isPresent() && keepF32Initializers.contains(t)) {
        return t;
      }
      String f = index.freshName(t + "_fp32");
      out.add(cast(current, f, F32));
      f32Copy.put(current, f);
      return f;
    }

    private GraphProto renameOuterReads(GraphProto sub, List<NodeProto> out) {
      Set<String> defined = new HashSet<>();
      sub.getInitializerList().forEach(t -> defined.add(t.getName()));
      sub.getInputList().forEach(v -> defined.add(v.getName()));
      sub.getNodeList().forEach(n -> defined.addAll(n.getOutputList()));
      GraphProto.Builder sb = sub.toBuilder();
      for (int i = 0; i < sb.getNodeCount(); i++) {
        NodeProto.Builder nb = sb.getNode(i).toBuilder();
        for (int k = 0; k < nb.getInputCount(); k++) {
          String in = nb.getInput(k);
          if (!in.isEmpty() && !defined.contains(in) && isF32(in)) {
            nb.setInput(k, f32Of(in, out));
          } else if (!in.isEmpty() && !defined.contains(in) && rename.containsKey(in)) {
            nb.setInput(k, rename.get(in));
          }
        }
        sb.setNode(i, nb);
      }
      return sb.build();
    }

    private final List<TensorProto> addedInitializers = new ArrayList<>();

    /** Clip(x, -65504, 65504) in FP32: bounds as inputs from opset 11, attributes before. */
    private NodeProto clipToHalfRange(String from, String to) {
      String name = index.freshName(to + "_Clip");
      if (model.opsetVersion("") >= 11) {
        if (addedInitializers.isEmpty()) {
          String lo = index.freshName("fp16_saturation_min");
          String hi = index.freshName("fp16_saturation_max");
          addedInitializers.add(TensorData.ofFloats(lo, new long[0], new float[] {-HALF_MAX}));
          addedInitializers.add(TensorData.ofFloats(hi, new long[0], new float[] {HALF_MAX}));
        }
        return Nodes.node(
            "Clip",
            name,
            List.of(from, addedInitializers.get(0).getName(), addedInitializers.get(1).getName()),
            List.of(to));
      }
      return Nodes.node(
          "Clip",
          name,
          List.of(from),
          List.of(to),
          Nodes.attr("min", -HALF_MAX),
          Nodes.attr("max", HALF_MAX));
    }

    private NodeProto cast(String from, String to, int type) {
      return Nodes.node(
          "Cast",
          index.freshName(to + "_Cast"),
          List.of(from),
          List.of(to),
          Nodes.attr("to", (long) type));
    }

    /**
     * Saturates finite values beyond the half-precision range to ±65504. Models use "a very large
     * negative number" (e.g. -3.4e38 for masked attention positions) and multiply it by 0 or 1: as
     * -Inf in FP16, 0 × -Inf makes NaN where FP32 made 0. Infinities and NaN stay as they are.
     */
    static float[] clampToHalfRange(float[] v) {
      float[] out = v.clone();
      for (int i = 0; i < out.length; i++) {
        if (Float.isFinite(out[i]) && Math.abs(out[i]) > HALF_MAX) {
          out[i] = Math.copySign(HALF_MAX, out[i]);
        }
      }
      return out;
    }

    private static void replaceAttr(NodeProto.Builder b, AttributeProto a) {
      for (int i = 0; i < b.getAttributeCount(); i++) {
        if (b.getAttribute(i).getName().equals(a.getName())) {
          b.setAttribute(i, a);
          return;
        }
      }
      b.addAttribute(a);
    }

    private TensorProto toHalf(TensorProto t) {
      long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
      float[] v = clampToHalfRange(model.floats(t));
      return TensorData.ofFloat16(t.getName(), dims, v).toBuilder()
          .setDocString(t.getDocString())
          .build();
    }
  }
}
