package io.octet.report;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.onnx.OnnxModel;
import io.octet.quant.ModelAugmenter;
import io.octet.quant.QuantPlan;
import io.octet.quant.QuantPlan.NodeQuant;
import io.octet.quant.Quantizer;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.runtime.OrtRuntime.SessionSettings;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Measures per-node sensitivity for test fixtures: the SQNR of every quantized node's output, FP32
 * versus INT8, taken where that output is quantized (after a Relu/Clip folded into the node). Both
 * models are augmented to expose those outputs (the QDQ rewrite keeps each quantized node's output
 * name), run on the same rows, and compared element by element.
 */
final class NodeSqnrProbe {
  private NodeSqnrProbe() {}

  /**
   * A measured node.
   *
   * @param node the node name
   * @param op its operator type
   * @param output the output compared
   * @param sqnrDb 10·log10(Σ fp32² / Σ (fp32 − int8)²)
   */
  record Measured(String node, String op, String output, double sqnrDb) {}

  static List<Measured> measure(Quantizer.Prepared prepared, OnnxModel int8, List<Sample> rows) {
    Map<String, NodeProto> byOutput = new LinkedHashMap<>();
    Map<String, String> opOf = new LinkedHashMap<>();
    GraphProto g = prepared.fp32().proto().getGraph();
    io.octet.onnx.OnnxGraph q = new io.octet.onnx.OnnxGraph(int8.proto().getGraph());
    Map<String, String> int8Name = new LinkedHashMap<>();
    for (NodeQuant nq : prepared.plan().nodes()) {
      NodeProto n = g.getNode(nq.nodeIndex());
      String out = quantizedOutput(g, n.getOutput(0), prepared.plan());
      byOutput.put(out, n);
      opOf.put(out, nq.opType());
      // The INT8 graph drops a Relu/Clip whose QuantizeLinear clips the same way; its value is
      // then the dequantized output of the QuantizeLinear that reads the node's own output.
      int8Name.put(out, q.producer(out).isPresent() ? out : dequantizedOf(q, n.getOutput(0)));
    }
    List<String> outputs = new ArrayList<>(byOutput.keySet());
    var a = ModelAugmenter.augment(prepared.fp32(), outputs);
    var b = ModelAugmenter.augment(int8, new ArrayList<>(int8Name.values()));
    double[] signal = new double[outputs.size()];
    double[] noise = new double[outputs.size()];
    SessionSettings settings = new SessionSettings(2, true);
    try (OrtSession sa = OrtRuntime.open(a.model(), settings);
        OrtSession sb = OrtRuntime.open(b.model(), settings)) {
      for (List<Sample> batch : Batching.byShape(rows, 64)) {
        try (InputBatch in = InputBatch.of(batch);
            OrtSession.Result ra =
                sa.run(
                    in.tensorsFor(sa.getInputNames()),
                    new LinkedHashSet<>(a.outputFor().values()));
            OrtSession.Result rb =
                sb.run(
                    in.tensorsFor(sb.getInputNames()),
                    new LinkedHashSet<>(b.outputFor().values()))) {
          for (int k = 0; k < outputs.size(); k++) {
            FloatBuffer fa = floats(ra, a.outputFor().get(outputs.get(k)));
            FloatBuffer fb = floats(rb, b.outputFor().get(int8Name.get(outputs.get(k))));
            for (int i = 0; i < fa.limit(); i++) {
              double x = fa.get(i);
              double d = x - fb.get(i);
              signal[k] += x * x;
              noise[k] += d * d;
            }
          }
        }
      }
    } catch (OrtException e) {
      throw new IllegalStateException("Node SQNR probe failed", e);
    }
    List<Measured> out = new ArrayList<>();
    for (int k = 0; k < outputs.size(); k++) {
      NodeProto n = byOutput.get(outputs.get(k));
      double db = 10 * Math.log10(signal[k] / noise[k]);
      out.add(new Measured(n.getName(), opOf.get(outputs.get(k)), outputs.get(k), db));
    }
    return out;
  }

  /**
   * The tensor where a node's output is quantized: the node's own output, or the output of the
   * single Relu/Clip after it when the planner folded that activation into the node (the Q/DQ pair
   * then sits after the activation, as ONNX Runtime fuses Conv+Relu).
   */
  private static String dequantizedOf(io.octet.onnx.OnnxGraph q, String tensor) {
    for (NodeProto quant : q.consumers(tensor)) {
      if (quant.getOpType().equals("QuantizeLinear")) {
        for (NodeProto dq : q.consumers(quant.getOutput(0))) {
          if (dq.getOpType().equals("DequantizeLinear")) {
            return dq.getOutput(0);
          }
        }
      }
    }
    return tensor;
  }

  private static String quantizedOutput(GraphProto g, String output, QuantPlan plan) {
    List<NodeProto> consumers = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      if (n.getInputList().contains(output)) {
        consumers.add(n);
      }
    }
    if (consumers.size() == 1
        && (consumers.get(0).getOpType().equals("Relu")
            || consumers.get(0).getOpType().equals("Clip"))
        && plan.activations().containsKey(consumers.get(0).getOutput(0))) {
      return consumers.get(0).getOutput(0);
    }
    return output;
  }

  private static FloatBuffer floats(OrtSession.Result r, String name) {
    return ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
  }
}
