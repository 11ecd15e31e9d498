package io.octet.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the main graph's {@code Constant} nodes into initializers.
 *
 * <p>Some exporters (paddle2onnx, older PyTorch) store every weight as a Constant node. The
 * quantizers look for weights among initializers, so without this step such a model would stay
 * FP32. The values are moved, not changed: the model computes exactly what it did. Subgraph bodies
 * are left alone.
 */
public final class ConstantFolding {
  private ConstantFolding() {}

  /**
   * Moves tensor-valued Constant nodes of the main graph to initializers.
   *
   * @param model the model
   * @return the model with those nodes replaced (the same model when there are none)
   */
  public static OnnxModel constantsToInitializers(OnnxModel model) {
    GraphProto g = model.proto().getGraph();
    List<NodeProto> keep = new ArrayList<>();
    List<TensorProto> inits = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      TensorProto t = tensorValue(n);
      if (t == null) {
        keep.add(n);
      } else {
        inits.add(t.toBuilder().setName(n.getOutput(0)).build());
      }
    }
    if (inits.isEmpty()) {
      return model;
    }
    GraphProto.Builder b = g.toBuilder().clearNode().addAllNode(keep).addAllInitializer(inits);
    return model.withProto(model.proto().toBuilder().setGraph(b).build());
  }

  /** The tensor a Constant node produces, or null when it is not a plain tensor constant. */
  private static TensorProto tensorValue(NodeProto n) {
    if (!n.getOpType().equals("Constant")
        || !(n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))
        || n.getOutputCount() != 1
        || n.getAttributeCount() != 1) {
      return null;
    }
    AttributeProto a = n.getAttribute(0);
    return a.getName().equals("value") && a.hasT() ? a.getT() : null;
  }
}
