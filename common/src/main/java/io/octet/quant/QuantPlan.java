package io.octet.quant;

import io.octet.calib.CalibrationMethod;
import io.octet.calib.QuantType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of graph analysis for static quantization: which nodes are quantized, which
 * activation tensors get a QuantizeLinear/DequantizeLinear pair and where their parameters come
 * from, and which tensors calibration must measure.
 *
 * @param nodes quantized nodes, in graph order
 * @param activations activation tensors that get Q/DQ, in graph order, by tensor name
 * @param notes human-readable decisions (nodes skipped and why)
 */
public record QuantPlan(
    List<NodeQuant> nodes, Map<String, ActivationQuant> activations, List<String> notes) {

  /** Copies the collections (keeping order). */
  public QuantPlan {
    nodes = List.copyOf(nodes);
    activations = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(activations));
    notes = List.copyOf(notes);
  }

  /**
   * Tensors whose range must be measured on calibration data, in graph order.
   *
   * @return tensor names
   */
  public List<String> calibrationTensors() {
    List<String> out = new ArrayList<>();
    for (ActivationQuant a : activations.values()) {
      if (a.source() == Source.CALIBRATED) {
        out.add(a.tensor());
      }
    }
    return out;
  }

  /**
   * Tensors whose histograms calibration collects: the calibrated ones and the shared ones. A
   * shared tensor reuses another's parameters in this plan, but a re-plan (tuning sends nodes back
   * to FP32) can leave it without its root; its stored histogram then calibrates it with no new
   * inference pass.
   *
   * @return tensor names in graph order
   */
  public List<String> histogramTensors() {
    List<String> out = new ArrayList<>();
    for (ActivationQuant a : activations.values()) {
      if (a.source() != Source.FIXED) {
        out.add(a.tensor());
      }
    }
    return out;
  }

  /** Where an activation's quantization parameters come from. */
  public enum Source {
    /** Measured on calibration data. */
    CALIBRATED,
    /** Reused from an upstream tensor through range-preserving ops. */
    SHARED,
    /** Fixed by the operator (Softmax output) or by a tensor override. */
    FIXED
  }

  /**
   * One activation tensor that gets a Q/DQ pair.
   *
   * @param tensor the tensor name
   * @param source where its parameters come from
   * @param sharedWith for SHARED, the tensor whose parameters it reuses
   * @param fixedLo for FIXED, the range's lower bound
   * @param fixedHi for FIXED, the range's upper bound
   * @param type int8 or uint8
   * @param symmetric symmetric range around zero
   * @param method for CALIBRATED, the clipping method
   * @param percentile for the percentile method
   */
  public record ActivationQuant(
      String tensor,
      Source source,
      String sharedWith,
      float fixedLo,
      float fixedHi,
      QuantType type,
      boolean symmetric,
      CalibrationMethod method,
      double percentile) {}

  /**
   * A constant input quantized ahead of time.
   *
   * @param inputIndex the input slot of the node
   * @param tensor the initializer's name
   * @param axis the per-channel axis, or -1 for one scale for the whole tensor
   * @param type int8 or uint8
   * @param symmetric symmetric range (weights of Conv/MatMul/Gemm are symmetric int8)
   */
  public record WeightQuant(
      int inputIndex, String tensor, int axis, QuantType type, boolean symmetric) {}

  /**
   * A node that runs quantized.
   *
   * @param nodeIndex its index in the graph the plan was made for
   * @param nodeName its name (may be empty in the model)
   * @param firstOutput its first output's name (unique, identifies the node)
   * @param opType its operator type
   * @param activationInputs input slots fed from Q/DQ activations
   * @param weights constant inputs quantized ahead of time
   * @param biasInput the input slot of an int32 bias, or -1
   * @param biasWeightInput the input slot whose weight scales form the bias scale
   */
  public record NodeQuant(
      int nodeIndex,
      String nodeName,
      String firstOutput,
      String opType,
      List<Integer> activationInputs,
      List<WeightQuant> weights,
      int biasInput,
      int biasWeightInput) {
    /** Copies the lists. */
    public NodeQuant {
      activationInputs = List.copyOf(activationInputs);
      weights = List.copyOf(weights);
    }
  }
}
