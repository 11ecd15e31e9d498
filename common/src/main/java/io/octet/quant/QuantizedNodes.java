package io.octet.quant;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Finds the nodes a quantizer rewrote, by comparing the FP32 and quantized graphs: a node whose
 * first output is, in the quantized model, produced by a different operator or from different
 * inputs. Every rewriter keeps the original output names, so this works for all modes.
 */
public final class QuantizedNodes {
  private static final Set<String> CANDIDATES =
      Set.of(
          "Conv",
          "ConvTranspose",
          "MatMul",
          "Gemm",
          "Add",
          "Mul",
          "AveragePool",
          "GlobalAveragePool",
          "Concat",
          "Resize",
          "Softmax",
          "Gather",
          "MaxPool");

  private QuantizedNodes() {}

  /**
   * One rewritten node.
   *
   * @param name the FP32 node's name
   * @param opType its operator type
   * @param output its first output (present in both models)
   */
  public record Node(String name, String opType, String output) {}

  /**
   * Lists rewritten nodes in FP32 graph order.
   *
   * @param fp32 the FP32 model
   * @param quantized the quantized model
   * @return the nodes
   */
  public static List<Node> of(OnnxModel fp32, OnnxModel quantized) {
    OnnxGraph q = new OnnxGraph(quantized.proto().getGraph());
    List<Node> out = new ArrayList<>();
    for (NodeProto n : fp32.proto().getGraph().getNodeList()) {
      if (!CANDIDATES.contains(n.getOpType()) || n.getOutputCount() == 0) {
        continue;
      }
      String y = n.getOutput(0);
      NodeProto p = q.producer(y).orElse(null);
      if (p == null) {
        continue;
      }
      if (!p.getOpType().equals(n.getOpType()) || !p.getInputList().equals(n.getInputList())) {
        out.add(new Node(n.getName().isEmpty() ? y : n.getName(), n.getOpType(), y));
      }
    }
    return out;
  }
}
