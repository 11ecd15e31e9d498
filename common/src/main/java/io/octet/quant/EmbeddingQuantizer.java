package io.octet.quant;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.calib.Int8Math;
import io.octet.calib.QuantParams;
import io.octet.calib.QuantType;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Stores embedding tables (constant 2-D Gather data) as uint8 and dequantizes after the lookup, so
 * only the gathered rows are ever converted back to float. Cuts a transformer's size by the
 * embedding table's three quarters; costs one small DequantizeLinear per lookup.
 */
public final class EmbeddingQuantizer {
  private EmbeddingQuantizer() {}

  /**
   * Quantizes every eligible embedding table.
   *
   * @param model the model (FP32 or already quantized elsewhere)
   * @param opts include/exclude lists
   * @return the model with 8-bit tables
   */
  public static OnnxModel quantize(OnnxModel model, QuantOptions opts) {
    GraphProto g = model.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);
    List<NodeProto> out = new ArrayList<>();
    List<TensorProto> inits = new ArrayList<>();
    Set<String> replaced = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      if (!isEmbeddingGather(n, index, opts)) {
        out.add(n);
        continue;
      }
      TensorProto table = index.initializer(n.getInput(0)).orElseThrow();
      float[] values = model.floats(table);
      QuantParams p = QdqQuantizer.rangeParams(values, QuantType.UINT8, false);
      long[] dims = {table.getDims(0), table.getDims(1)};
      String tq = index.freshName(table.getName() + "_quantized");
      String ts = index.freshName(table.getName() + "_scale");
      String tz = index.freshName(table.getName() + "_zero_point");
      inits.add(
          TensorData.ofBytes(tq, TensorProto.DataType.UINT8, dims, Int8Math.quantize(values, p)));
      inits.add(TensorData.ofFloats(ts, new long[0], new float[] {p.scale()}));
      inits.add(
          QdqQuantizer.zeroPoint(tz, QuantType.UINT8, new long[0], new int[] {p.zeroPoint()}));
      String y = n.getOutput(0);
      String gq = index.freshName(y + "_quantized");
      out.add(n.toBuilder().setInput(0, tq).setOutput(0, gq).build());
      out.add(
          Nodes.node(
              "DequantizeLinear",
              index.freshName(y + "_DequantizeLinear"),
              List.of(gq, ts, tz),
              List.of(y)));
      replaced.add(table.getName());
    }
    if (replaced.isEmpty()) {
      return model;
    }
    GraphProto.Builder gb = g.toBuilder().clearNode().addAllNode(out).addAllInitializer(inits);
    OnnxGraph after = new OnnxGraph(gb.build());
    List<TensorProto> keep = new ArrayList<>();
    for (TensorProto t : gb.getInitializerList()) {
      if (!replaced.contains(t.getName()) || !after.consumers(t.getName()).isEmpty()) {
        keep.add(t);
      }
    }
    gb.clearInitializer().addAllInitializer(keep);
    return model.withProto(model.proto().toBuilder().setGraph(gb).build());
  }

  static boolean isEmbeddingGather(NodeProto n, OnnxGraph g, QuantOptions opts) {
    if (!n.getOpType().equals("Gather")
        || !n.getDomain().isEmpty()
        || Nodes.intAttr(n, "axis", 0) != 0
        || !opts.allows(n.getName(), n.getOpType())
        || !g.isConstant(n.getInput(0))) {
      return false;
    }
    return g.initializer(n.getInput(0))
        .map(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == 2)
        .orElse(false);
  }
}
