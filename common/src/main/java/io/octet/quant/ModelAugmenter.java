package io.octet.quant;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the calibration model: the FP32 model with every tensor to calibrate also exposed as a
 * graph output, so ONE inference pass yields all the activations calibration needs.
 *
 * <p>Only the tensors the plan calibrates are exposed. Exposing every tensor would keep ONNX
 * Runtime from fusing (a fused-away tensor must still be produced) and would copy far more data out
 * of the runtime; the planned tensors sit at fusion boundaries (inputs of MatMul/Conv), so the
 * calibration model runs nearly as fast as the original.
 */
public final class ModelAugmenter {
  private ModelAugmenter() {}

  /**
   * The augmented model and the output name under which each calibrated tensor appears.
   *
   * @param model the augmented model
   * @param outputFor calibrated tensor name → graph output name
   */
  public record Augmented(OnnxModel model, Map<String, String> outputFor) {
    /** Copies the map, keeping order. */
    public Augmented {
      outputFor = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputFor));
    }
  }

  /**
   * Adds the tensors as graph outputs.
   *
   * @param model the FP32 model
   * @param tensors tensors to expose (float activations of the main graph)
   * @return the augmented model
   */
  public static Augmented augment(OnnxModel model, List<String> tensors) {
    GraphProto g = model.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);
    Set<String> outputs = new HashSet<>();
    for (ValueInfoProto v : g.getOutputList()) {
      outputs.add(v.getName());
    }
    GraphProto.Builder b = g.toBuilder();
    Map<String, String> outputFor = new LinkedHashMap<>();
    for (String t : tensors) {
      if (outputs.contains(t)) {
        outputFor.put(t, t);
      } else if (index.isGraphInput(t) || index.initializer(t).isPresent()) {
        // A graph input cannot also be a graph output: route it through an Identity.
        String out = index.freshName(t + "_octet_calibration");
        b.addNode(
            Nodes.node(
                "Identity", index.freshName(t + "_octet_identity"), List.of(t), List.of(out)));
        b.addOutput(Nodes.untyped(out));
        outputFor.put(t, out);
      } else {
        b.addOutput(Nodes.untyped(t));
        outputs.add(t);
        outputFor.put(t, t);
      }
    }
    return new Augmented(model.withProto(model.proto().toBuilder().setGraph(b).build()), outputFor);
  }
}
