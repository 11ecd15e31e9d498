package io.octet.quant;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.cpu.EncodedWeights;
import io.octet.cpu.KernelPairing;
import io.octet.cpu.SaturationAwareEncoder;
import io.octet.error.QuantErrors;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic INT8: MatMul weights become int8 ahead of time (per output column when per-channel is
 * on), activations are quantized at run time from each batch's own range.
 *
 * <p>Each eligible {@code Y = MatMul(A, W)} becomes DynamicQuantizeLinear(A) → MatMulInteger → Cast
 * → Mul(A scale × W scales), the pattern ONNX Runtime fuses into one DynamicQuantizeMatMul kernel.
 * One DynamicQuantizeLinear serves every MatMul reading the same activation (the Q, K and V
 * projections of an attention block). No calibration data is needed.
 */
public final class DynamicQuantizer {
  private DynamicQuantizer() {}

  /**
   * Quantizes a model dynamically.
   *
   * @param model the FP32 model
   * @param opts options (per-channel, include/exclude lists, quantize-embeddings)
   * @param metadata provenance entries for metadata_props
   * @return the quantized model
   */
  public static OnnxModel quantize(
      OnnxModel model, QuantOptions opts, Map<String, String> metadata) {
    if (model.opsetVersion(OnnxModel.DEFAULT_DOMAIN) < 11) {
      throw QuantErrors.unsupported(
          model.name(),
          "dynamic quantization needs opset 11 (DynamicQuantizeLinear)",
          "Re-export the model with opset 11 or newer.");
    }
    GraphProto g = model.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);
    List<TensorProto> inits = new ArrayList<>();
    Set<String> replaced = new HashSet<>();
    Map<String, String[]> dql = new HashMap<>();
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      if (isEligibleMatMul(n, index, opts)) {
        out.addAll(matMul(n, model, index, opts, inits, dql));
        replaced.add(n.getInput(1));
      } else {
        out.add(n);
      }
    }
    GraphProto.Builder gb = g.toBuilder().clearNode().addAllNode(out);
    gb.addAllInitializer(inits);
    OnnxGraph after = new OnnxGraph(gb.build());
    List<TensorProto> keep = new ArrayList<>();
    for (TensorProto t : gb.getInitializerList()) {
      if (!replaced.contains(t.getName()) || !after.consumers(t.getName()).isEmpty()) {
        keep.add(t);
      }
    }
    gb.clearInitializer().addAllInitializer(keep);
    ModelProto.Builder mb = model.proto().toBuilder().setGraph(gb);
    Provenance.stamp(mb, metadata);
    OnnxModel q = model.withProto(mb.build());
    return opts.quantizeEmbeddings() ? EmbeddingQuantizer.quantize(q, opts) : q;
  }

  static boolean isEligibleMatMul(NodeProto n, OnnxGraph g, QuantOptions opts) {
    if (!n.getOpType().equals("MatMul") || !n.getDomain().isEmpty()) {
      return false;
    }
    if (!opts.allows(n.getName(), n.getOpType())) {
      return false;
    }
    String w = n.getInput(1);
    return g.isConstant(w)
        && g.initializer(w).isPresent()
        && g.initializer(w).get().getDataType() == TensorProto.DataType.FLOAT_VALUE
        && g.initializer(w).get().getDimsCount() == 2
        && !g.isConstant(n.getInput(0));
  }

  private static List<NodeProto> matMul(
      NodeProto n,
      OnnxModel model,
      OnnxGraph g,
      QuantOptions opts,
      List<TensorProto> inits,
      Map<String, String[]> dql) {
    List<NodeProto> nodes = new ArrayList<>();
    String a = n.getInput(0);
    String[] q = dql.get(a);
    if (q == null) {
      q =
          new String[] {
            g.freshName(a + "_quantized"), g.freshName(a + "_scale"), g.freshName(a + "_zero_point")
          };
      nodes.add(
          Nodes.node(
              "DynamicQuantizeLinear",
              g.freshName(a + "_DynamicQuantizeLinear"),
              List.of(a),
              List.of(q)));
      dql.put(a, q);
    }
    TensorProto w = g.initializer(n.getInput(1)).orElseThrow();
    long[] dims = {w.getDims(0), w.getDims(1)};
    float[] values = model.floats(w);
    String wq = g.freshName(w.getName() + "_quantized");
    String wzp = g.freshName(w.getName() + "_zero_point");
    String ws = g.freshName(w.getName() + "_scale");
    float[] scales;
    // MatMulInteger runs the same u8 x s8 kernels as static QDQ: the target's encoding applies.
    EncodedWeights e =
        SaturationAwareEncoder.encode(
            values,
            dims,
            opts.perChannel() ? 1 : -1,
            KernelPairing.pairs(dims, KernelPairing.orders(KernelPairing.Role.MATMUL_B, 2)),
            opts.weightEncoding());
    inits.add(TensorData.ofBytes(wq, TensorProto.DataType.INT8, dims, e.data()));
    scales = e.scales();
    inits.add(
        TensorData.ofFloats(ws, opts.perChannel() ? new long[] {dims[1]} : new long[0], scales));
    // Zero point per column (all 0): the form ONNX Runtime's MatMulInteger kernels expect.
    inits.add(
        TensorData.ofBytes(
            wzp, TensorProto.DataType.INT8, new long[] {dims[1]}, new byte[(int) dims[1]]));
    String y = n.getOutput(0);
    String yi = g.freshName(y + "_int32");
    String yf = g.freshName(y + "_float");
    String s = g.freshName(y + "_scales_mul");
    nodes.add(
        Nodes.node(
            "MatMulInteger",
            g.freshName(n.getName() + "_quant"),
            List.of(q[0], wq, q[2], wzp),
            List.of(yi)));
    nodes.add(
        Nodes.node(
            "Cast",
            g.freshName(n.getName() + "_cast"),
            List.of(yi),
            List.of(yf),
            Nodes.attr("to", (long) TensorProto.DataType.FLOAT_VALUE)));
    nodes.add(
        Nodes.node("Mul", g.freshName(n.getName() + "_scales"), List.of(q[1], ws), List.of(s)));
    nodes.add(Nodes.node("Mul", g.freshName(n.getName() + "_output"), List.of(yf, s), List.of(y)));
    return nodes;
  }
}
