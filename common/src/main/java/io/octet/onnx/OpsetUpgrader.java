package io.octet.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import io.octet.error.QuantErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Moves a model from default-domain opset 11 or 12 to 13, the first opset whose DequantizeLinear
 * takes a per-channel axis.
 *
 * <p>Only the operators whose signature or meaning changed between 11 and 13 need rewriting:
 * Squeeze, Unsqueeze, ReduceSum and Split take their axes/split as an input instead of an
 * attribute; Softmax, LogSoftmax and Hardmax stop flattening everything from {@code axis} on (kept
 * exact with Flatten/Reshape around them unless the axis is the last one); Dropout loses its {@code
 * ratio} attribute. Subgraphs are rewritten too, since they share the model's opset.
 */
public final class OpsetUpgrader {
  private static final Set<String> AXES_TO_INPUT = Set.of("Squeeze", "Unsqueeze", "ReduceSum");
  private static final Set<String> SOFTMAX_FAMILY = Set.of("Softmax", "LogSoftmax", "Hardmax");

  private OpsetUpgrader() {}

  /**
   * Returns the model at opset 13 (unchanged when it is already at 13 or newer).
   *
   * @param model the model
   * @return the upgraded model
   * @throws io.octet.error.QuantException when the opset is older than 11
   */
  public static OnnxModel upgradeTo13(OnnxModel model) {
    long v = model.opsetVersion(OnnxModel.DEFAULT_DOMAIN);
    if (v >= 13) {
      return model;
    }
    if (v < 11) {
      throw QuantErrors.unsupported(
          model.name(),
          "per-channel weights need opset 13 and the model uses opset " + v,
          "Re-export the model with opset 13 or newer, or set quantization.per-channel = false.");
    }
    ModelProto.Builder b = model.proto().toBuilder();
    Names names = new Names(new OnnxGraph(model.proto().getGraph()));
    b.setGraph(graph(model.proto().getGraph(), names));
    for (int i = 0; i < b.getOpsetImportCount(); i++) {
      OperatorSetIdProto op = b.getOpsetImport(i);
      if (OnnxModel.sameDomain(op.getDomain(), OnnxModel.DEFAULT_DOMAIN)) {
        b.setOpsetImport(i, op.toBuilder().setVersion(13));
      }
    }
    if (b.getIrVersion() < 7) {
      b.setIrVersion(7); // opset 13 needs IR 7
    }
    return model.withProto(b.build());
  }

  private static GraphProto graph(GraphProto g, Names names) {
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      NodeProto node = subgraphs(n, names);
      if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
        out.add(node);
        continue;
      }
      String op = node.getOpType();
      if (AXES_TO_INPUT.contains(op)) {
        attributeToInput(node, "axes", 1, out, names);
      } else if (op.equals("Split")) {
        attributeToInput(node, "split", 1, out, names);
      } else if (SOFTMAX_FAMILY.contains(op)) {
        softmax(node, out, names);
      } else if (op.equals("Dropout")) {
        out.add(removeAttribute(node, "ratio"));
      } else {
        out.add(node);
      }
    }
    return g.toBuilder().clearNode().addAllNode(out).build();
  }

  private static NodeProto subgraphs(NodeProto n, Names names) {
    boolean has = false;
    for (AttributeProto a : n.getAttributeList()) {
      has |= a.hasG() || a.getGraphsCount() > 0;
    }
    if (!has) {
      return n;
    }
    NodeProto.Builder nb = n.toBuilder();
    for (int i = 0; i < nb.getAttributeCount(); i++) {
      AttributeProto a = nb.getAttribute(i);
      AttributeProto.Builder ab = a.toBuilder();
      if (a.hasG()) {
        ab.setG(graph(a.getG(), names));
      }
      for (int k = 0; k < a.getGraphsCount(); k++) {
        ab.setGraphs(k, graph(a.getGraphs(k), names));
      }
      nb.setAttribute(i, ab);
    }
    return nb.build();
  }

  /** Replaces an int-list attribute by a Constant feeding the given input slot. */
  private static void attributeToInput(
      NodeProto n, String attr, int slot, List<NodeProto> out, Names names) {
    var a = Nodes.find(n, attr);
    if (a.isEmpty()) {
      out.add(n);
      return;
    }
    long[] values = a.get().getIntsList().stream().mapToLong(Long::longValue).toArray();
    String constOut = names.fresh(n.getName() + "_" + attr);
    out.add(
        Nodes.node(
            "Constant",
            names.fresh(n.getName() + "_" + attr + "_Constant"),
            List.of(),
            List.of(constOut),
            Nodes.attr("value", TensorData.ofLongs(constOut, new long[] {values.length}, values))));
    NodeProto.Builder b = removeAttribute(n, attr).toBuilder();
    while (b.getInputCount() < slot) {
      b.addInput("");
    }
    if (b.getInputCount() == slot) {
      b.addInput(constOut);
    } else {
      b.setInput(slot, constOut);
    }
    out.add(b.build());
  }

  /**
   * Before opset 13 these ops flattened the input to 2-D at {@code axis} (default 1). With axis -1
   * both definitions agree; otherwise the old meaning is kept exactly with Flatten → op(axis=1) →
   * Reshape(original shape).
   */
  private static void softmax(NodeProto n, List<NodeProto> out, Names names) {
    long axis = Nodes.intAttr(n, "axis", 1);
    if (axis == -1) {
      out.add(n);
      return;
    }
    String in = n.getInput(0);
    String flat = names.fresh(in + "_flat2d");
    String shape = names.fresh(in + "_shape");
    String inner = names.fresh(n.getOutput(0) + "_2d");
    out.add(
        Nodes.node(
            "Flatten",
            names.fresh(n.getName() + "_Flatten"),
            List.of(in),
            List.of(flat),
            Nodes.attr("axis", axis)));
    out.add(Nodes.node("Shape", names.fresh(n.getName() + "_Shape"), List.of(in), List.of(shape)));
    NodeProto.Builder core = removeAttribute(n, "axis").toBuilder();
    core.setInput(0, flat).setOutput(0, inner).addAttribute(Nodes.attr("axis", 1L));
    out.add(core.build());
    out.add(
        Nodes.node(
            "Reshape",
            names.fresh(n.getName() + "_Reshape"),
            List.of(inner, shape),
            List.of(n.getOutput(0))));
  }

  private static NodeProto removeAttribute(NodeProto n, String attr) {
    NodeProto.Builder b = n.toBuilder().clearAttribute();
    for (AttributeProto a : n.getAttributeList()) {
      if (!a.getName().equals(attr)) {
        b.addAttribute(a);
      }
    }
    return b.build();
  }

  /** Fresh names unique across the whole model, subgraphs included. */
  private static final class Names {
    private final OnnxGraph index;

    Names(OnnxGraph index) {
      this.index = index;
    }

    String fresh(String base) {
      return index.freshName(base.isEmpty() ? "octet_upgrade" : base);
    }
  }
}
