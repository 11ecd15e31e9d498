package io.octet.quant;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.calib.Int4Blocks;
import io.octet.calib.Int8Math;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Weight-only INT4: every MatMul with a constant 2-D weight becomes ONNX Runtime's {@code
 * com.microsoft.MatMulNBits} with 4-bit blockwise weights; activations stay float.
 *
 * <p>This shrinks weights ~7× (4 bits plus one float scale per block) and suits memory-bound
 * transformer inference; it needs ONNX Runtime (the op is a contrib op, not standard ONNX).
 */
public final class Int4WeightQuantizer {
  private Int4WeightQuantizer() {}

  /**
   * Quantizes MatMul weights to 4 bits.
   *
   * @param model the FP32 model
   * @param opts options (int4 block size and symmetry, include/exclude lists)
   * @param metadata provenance entries for metadata_props
   * @return the quantized model
   */
  public static OnnxModel quantize(
      OnnxModel model, QuantOptions opts, Map<String, String> metadata) {
    GraphProto g = model.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);
    List<NodeProto> out = new ArrayList<>();
    List<TensorProto> inits = new ArrayList<>();
    Set<String> replaced = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      if (!DynamicQuantizer.isEligibleMatMul(n, index, opts)) {
        out.add(n);
        continue;
      }
      TensorProto w = index.initializer(n.getInput(1)).orElseThrow();
      int k = (int) w.getDims(0);
      int cols = (int) w.getDims(1);
      Int4Blocks q =
          Int8Math.quantizeInt4Blockwise(
              model.floats(w), k, cols, opts.int4BlockSize(), opts.int4Symmetric());
      String b = index.freshName(w.getName() + "_int4");
      String s = index.freshName(w.getName() + "_int4_scales");
      inits.add(
          TensorData.ofPacked(
              b,
              TensorProto.DataType.UINT8,
              new long[] {cols, q.blocksPerColumn(), q.blobSize()},
              q.packed()));
      inits.add(TensorData.ofFloats(s, new long[] {(long) cols * q.blocksPerColumn()}, q.scales()));
      List<String> inputs = new ArrayList<>(List.of(n.getInput(0), b, s));
      if (!opts.int4Symmetric()) {
        String z = index.freshName(w.getName() + "_int4_zero_points");
        inits.add(
            TensorData.ofPacked(
                z, TensorProto.DataType.UINT8, new long[] {q.zeroPoints().length}, q.zeroPoints()));
        inputs.add(z);
      }
      out.add(
          Nodes.node(
              OnnxModel.MICROSOFT_DOMAIN,
              "MatMulNBits",
              index.freshName(n.getName() + "_MatMulNBits"),
              inputs,
              List.of(n.getOutput(0)),
              Nodes.attr("K", (long) k),
              Nodes.attr("N", (long) cols),
              Nodes.attr("bits", 4L),
              Nodes.attr("block_size", (long) opts.int4BlockSize())));
      replaced.add(w.getName());
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
    ModelProto.Builder mb = model.proto().toBuilder().setGraph(gb);
    if (model.opsetVersion(OnnxModel.MICROSOFT_DOMAIN) < 1) {
      mb.addOpsetImport(
          OperatorSetIdProto.newBuilder().setDomain(OnnxModel.MICROSOFT_DOMAIN).setVersion(1));
    }
    Provenance.stamp(mb, metadata);
    return model.withProto(mb.build());
  }
}
