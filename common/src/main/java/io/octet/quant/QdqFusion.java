package io.octet.quant;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.octet.calib.Int8Math;
import io.octet.calib.QuantParams;
import io.octet.calib.QuantType;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.TensorData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Shapes a QDQ graph so that runtimes can fuse each quantized op with its Q/DQ pairs into one
 * integer kernel (ONNX Runtime's QLinearConv, QLinearMul, ...). Two rewrites, both measured on
 * PP-OCRv4 (bench/compare): without them 12 of its 62 convolutions and 24 of its 86 Muls ran in
 * float between a DequantizeLinear and a QuantizeLinear, with 45 layout transposes around them, and
 * its INT8 model ran slower than FP32.
 *
 * <ol>
 *   <li><b>Relu and Clip before a QuantizeLinear are removed</b> when quantizing already clips the
 *       same way: for every input, {@code Q(Relu(x)) == Q(x)} exactly when the zero point is the
 *       type's minimum, and {@code Q(Clip(x, a, b)) == Q(x)} when {@code Q(a)} is the minimum and
 *       {@code Q(b)} the maximum. The INT8 model computes the same values with one node fewer, and
 *       the op before it can fuse with the QuantizeLinear.
 *   <li><b>Float consumers of a quantized op's output read the dequantized tensor</b> instead of
 *       the float one, where the range does not clip. A runtime fuses "DQ → Conv → Q" only when the
 *       Q is the op's sole consumer; a float consumer beside it (a HardSigmoid, a Div, a
 *       BatchNormalization) kept the op in float. Those consumers now see the quantized value, as
 *       the quantized consumers do (ONNX Runtime's own quantizer does this for every tensor). Where
 *       the range clips (percentile, entropy and mse ranges often do), the float consumer keeps the
 *       exact tensor: feeding it clipped values cost PP-OCRv4 7 dB of output SQNR with entropy
 *       ranges (bench/compare).
 * </ol>
 */
final class QdqFusion {
  /**
   * Ops whose integer kernels take quantized inputs and produce a quantized output: the ones the
   * planner gives a quantized output.
   */
  static final Set<String> FUSED_WITH_OUTPUT_Q = QuantPlanner.OUTPUT_QUANTIZED;

  /**
   * Float consumers that normalize their input: fed a quantized residual stream they amplify its
   * rounding (a LayerNorm divides by the stream's small spread), so a tensor they read is left
   * unrouted. MiniLM with Add quantized lost 0.09 of mean cosine when its LayerNorms read the
   * dequantized residual.
   */
  static final Set<String> NORMALIZING =
      Set.of(
          "ReduceMean",
          "ReduceSum",
          "ReduceL2",
          "Sub",
          "LayerNormalization",
          "InstanceNormalization",
          "GroupNormalization",
          "SimplifiedLayerNormalization",
          "Softmax",
          "LogSoftmax");

  private QdqFusion() {}

  /**
   * Applies both rewrites.
   *
   * @param graph the QDQ graph
   * @param baseDir where external data of the model's initializers lives (may be null)
   * @param modelName the model's name, for errors
   * @param unclipped quantized tensors whose range covers all calibration values: only their float
   *     consumers are moved to the dequantized value (a clipped value would change what a float
   *     consumer computes, not just round it)
   * @return the rewritten graph
   */
  static GraphProto apply(GraphProto graph, Path baseDir, String modelName, Set<String> unclipped) {
    GraphProto g = removeClippingActivations(graph, baseDir, modelName);
    return routeFloatConsumersThroughDq(g, unclipped);
  }

  static GraphProto removeClippingActivations(GraphProto graph, Path baseDir, String modelName) {
    OnnxGraph g = new OnnxGraph(graph);
    Set<NodeProto> removed = new HashSet<>();
    Map<String, String> rewire = new HashMap<>(); // activation output -> its input
    for (NodeProto n : graph.getNodeList()) {
      if (!n.getOpType().equals("Relu") && !n.getOpType().equals("Clip")) {
        continue;
      }
      if (!n.getDomain().isEmpty() || n.getInputCount() == 0 || n.getOutputCount() != 1) {
        continue;
      }
      String in = n.getInput(0);
      String out = n.getOutput(0);
      if (g.producer(in).isEmpty()
          || g.consumers(in).size() != 1
          || g.isGraphOutput(in)
          || g.isGraphOutput(out)) {
        continue;
      }
      List<NodeProto> qs = g.consumers(out);
      if (qs.isEmpty()) {
        continue;
      }
      boolean exact = true;
      for (NodeProto q : qs) {
        exact &= isQuantizeOf(q, out) && clipsLikeQuantize(g, n, q, baseDir, modelName);
      }
      if (exact) {
        removed.add(n);
        rewire.put(out, in);
      }
    }
    if (removed.isEmpty()) {
      return graph;
    }
    Set<String> bounds = new HashSet<>();
    removed.forEach(n -> bounds.addAll(n.getInputList().subList(1, n.getInputCount())));
    GraphProto.Builder b = graph.toBuilder().clearNode();
    for (NodeProto n : graph.getNodeList()) {
      if (removed.contains(n)) {
        continue;
      }
      if (n.getOpType().equals("QuantizeLinear") && rewire.containsKey(n.getInput(0))) {
        n = n.toBuilder().setInput(0, rewire.get(n.getInput(0))).build();
      }
      b.addNode(n);
    }
    // Clip bounds nothing reads any more go with their Clip (OnnxGraph counts subgraph reads).
    OnnxGraph after = new OnnxGraph(b.build());
    List<TensorProto> keep = new ArrayList<>();
    for (TensorProto t : graph.getInitializerList()) {
      String name = t.getName();
      if (!bounds.contains(name) || !after.consumers(name).isEmpty() || after.isGraphOutput(name)) {
        keep.add(t);
      }
    }
    b.clearInitializer().addAllInitializer(keep);
    return b.build();
  }

  static GraphProto routeFloatConsumersThroughDq(GraphProto graph, Set<String> unclipped) {
    OnnxGraph g = new OnnxGraph(graph);
    Map<NodeProto, Map<String, String>> inputSwaps = new HashMap<>();
    for (NodeProto q : graph.getNodeList()) {
      if (!q.getOpType().equals("QuantizeLinear") || !q.getDomain().isEmpty()) {
        continue;
      }
      String t = q.getInput(0);
      Optional<NodeProto> producer = g.producer(t);
      if (!unclipped.contains(t)
          || producer.isEmpty()
          || !FUSED_WITH_OUTPUT_Q.contains(producer.get().getOpType())
          || !producer.get().getDomain().isEmpty()
          || !readsDequantized(g, producer.get())
          || g.isGraphOutput(t)) {
        continue;
      }
      Optional<NodeProto> dq =
          g.consumers(q.getOutput(0)).stream()
              .filter(d -> d.getOpType().equals("DequantizeLinear"))
              .filter(
                  d ->
                      d.getInputList()
                          .subList(1, d.getInputCount())
                          .equals(q.getInputList().subList(1, q.getInputCount())))
              .findFirst();
      if (dq.isEmpty()) {
        continue;
      }
      if (g.consumers(t).stream().anyMatch(c -> NORMALIZING.contains(c.getOpType()))) {
        continue;
      }
      for (NodeProto c : g.consumers(t)) {
        if (c != q && !c.getOpType().equals("QuantizeLinear")) {
          inputSwaps.computeIfAbsent(c, k -> new HashMap<>()).put(t, dq.get().getOutput(0));
        }
      }
    }
    if (inputSwaps.isEmpty()) {
      return graph;
    }
    GraphProto.Builder b = graph.toBuilder().clearNode();
    for (NodeProto n : graph.getNodeList()) {
      Map<String, String> swaps = inputSwaps.get(n);
      if (swaps != null) {
        NodeProto.Builder nb = n.toBuilder();
        for (int i = 0; i < n.getInputCount(); i++) {
          String r = swaps.get(n.getInput(i));
          if (r != null) {
            nb.setInput(i, r);
          }
        }
        n = nb.build();
      }
      b.addNode(n);
    }
    // A consumer that read the float tensor may come before the DQ in node order: restore a
    // topological order.
    return topologicalOrder(b.build());
  }

  private static boolean isQuantizeOf(NodeProto q, String tensor) {
    return q.getOpType().equals("QuantizeLinear")
        && q.getDomain().isEmpty()
        && q.getInput(0).equals(tensor)
        && q.getInputCount() == 3;
  }

  /** Whether every non-constant input of the op comes from a DequantizeLinear. */
  private static boolean readsDequantized(OnnxGraph g, NodeProto n) {
    boolean any = false;
    for (String in : n.getInputList()) {
      if (in.isEmpty() || g.isConstant(in)) {
        continue;
      }
      Optional<NodeProto> p = g.producer(in);
      if (p.isEmpty() || !p.get().getOpType().equals("DequantizeLinear")) {
        return false;
      }
      any = true;
    }
    return any;
  }

  /** Whether Q(activation(x)) equals Q(x) for every x, given Q's constant scale and zero point. */
  private static boolean clipsLikeQuantize(
      OnnxGraph g, NodeProto act, NodeProto q, Path baseDir, String modelName) {
    Optional<TensorProto> scaleT = g.initializer(q.getInput(1));
    Optional<TensorProto> zpT = g.initializer(q.getInput(2));
    if (scaleT.isEmpty() || zpT.isEmpty() || scaleT.get().getDimsCount() != 0) {
      return false;
    }
    float scale = TensorData.toFloats(scaleT.get(), baseDir, modelName)[0];
    int zpType = zpT.get().getDataType();
    if (zpType != DataType.UINT8_VALUE && zpType != DataType.INT8_VALUE) {
      return false;
    }
    if (!(scale > 0) || !Float.isFinite(scale)) {
      return false;
    }
    QuantType type = zpType == DataType.UINT8_VALUE ? QuantType.UINT8 : QuantType.INT8;
    byte zpByte = TensorData.rawBytes(zpT.get(), baseDir, modelName)[0];
    QuantParams p = new QuantParams(scale, type == QuantType.UINT8 ? zpByte & 0xff : zpByte, type);
    if (act.getOpType().equals("Relu")) {
      return p.zeroPoint() == type.qmin();
    }
    Optional<Float> lo = clipBound(g, act, 1, "min", baseDir, modelName);
    Optional<Float> hi = clipBound(g, act, 2, "max", baseDir, modelName);
    if (lo == null || hi == null) {
      return false; // a bound that is not a constant
    }
    boolean loOk = lo.isEmpty() || Int8Math.quantize(lo.get(), p) == type.qmin();
    boolean hiOk = hi.isPresent() && Int8Math.quantize(hi.get(), p) == type.qmax();
    return loOk && hiOk;
  }

  /**
   * A Clip bound: empty when absent (unbounded), null when it is not a constant this pass reads.
   */
  private static Optional<Float> clipBound(
      OnnxGraph g, NodeProto clip, int input, String attr, Path baseDir, String modelName) {
    if (clip.getInputCount() > input && !clip.getInput(input).isEmpty()) {
      String name = clip.getInput(input);
      Optional<TensorProto> init = g.initializer(name);
      if (init.isEmpty()) {
        Optional<NodeProto> p = g.producer(name);
        if (p.isPresent() && p.get().getOpType().equals("Constant")) {
          init = Nodes.find(p.get(), "value").map(AttributeProto::getT);
        }
      }
      if (init.isEmpty() || TensorData.elementCount(init.get().getDimsList()) != 1) {
        return null;
      }
      float[] v = TensorData.toFloats(init.get(), baseDir, modelName);
      return v.length == 1 ? Optional.of(v[0]) : null;
    }
    if (clip.getInputCount() <= input || clip.getInput(input).isEmpty()) {
      Optional<AttributeProto> a = Nodes.find(clip, attr);
      if (a.isPresent()) {
        return Optional.of(a.get().getF());
      }
    }
    return Optional.empty();
  }

  /** Kahn's algorithm over the node list, keeping the original order where it is valid. */
  static GraphProto topologicalOrder(GraphProto graph) {
    List<NodeProto> nodes = graph.getNodeList();
    Map<String, Integer> producerOf = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String o : nodes.get(i).getOutputList()) {
        producerOf.put(o, i);
      }
    }
    int[] pending = new int[nodes.size()];
    Map<Integer, List<Integer>> dependents = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      Set<Integer> deps = new HashSet<>();
      for (String in : nodes.get(i).getInputList()) {
        Integer p = producerOf.get(in);
        if (p != null && p != i) {
          deps.add(p);
        }
      }
      pending[i] = deps.size();
      for (int p : deps) {
        dependents.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
      }
    }
    java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (pending[i] == 0) {
        ready.add(i);
      }
    }
    List<NodeProto> out = new ArrayList<>(nodes.size());
    while (!ready.isEmpty()) {
      int i = ready.poll();
      out.add(nodes.get(i));
      for (int d : dependents.getOrDefault(i, List.of())) {
        if (--pending[d] == 0) {
          ready.add(d);
        }
      }
    }
    if (out.size() != nodes.size()) {
      return graph; // a cycle cannot come from these rewrites; leave the graph as it was
    }
    return graph.toBuilder().clearNode().addAllNode(out).build();
  }
}
