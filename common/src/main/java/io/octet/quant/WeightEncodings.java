package io.octet.quant;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.target.EncodedWeights;
import io.octet.target.KernelPairing;
import io.octet.target.KernelPairing.Role;
import io.octet.target.SaturationAwareEncoder;
import io.octet.target.WeightEncoding;
import java.util.ArrayList;
import java.util.List;

/** Encodes the int8 weights of integer MatMul/Gemm/Conv kernels under a {@link WeightEncoding}. */
final class WeightEncodings {
  private WeightEncodings() {}

  /**
   * Encodes a constant weight for every integer kernel that reads it.
   *
   * @param g the graph the weight belongs to
   * @param tensor the weight's initializer name
   * @param values its float values
   * @param dims its dimensions
   * @param axis the per-channel axis, or -1 for one scale
   * @param encoding the encoding
   * @return int8 values and scales
   */
  static EncodedWeights encode(
      OnnxGraph g, String tensor, float[] values, long[] dims, int axis, WeightEncoding encoding) {
    int[] pairs =
        encoding == WeightEncoding.SATURATION_AWARE
            ? KernelPairing.pairs(dims, orders(g, tensor, dims.length))
            : new int[0];
    return SaturationAwareEncoder.encode(values, dims, axis, pairs, encoding);
  }

  /** Reduction orders over every consumer that multiplies the weight in an integer kernel. */
  static List<int[]> orders(OnnxGraph g, String tensor, int rank) {
    List<int[]> out = new ArrayList<>();
    if (rank == 0) {
      return out;
    }
    for (NodeProto n : g.consumers(tensor)) {
      for (int k = 0; k < n.getInputCount(); k++) {
        if (n.getInput(k).equals(tensor)) {
          Role r = role(n, k, rank);
          if (r != null) {
            out.addAll(KernelPairing.orders(r, rank));
          }
        }
      }
    }
    return out;
  }

  private static Role role(NodeProto n, int slot, int rank) {
    return switch (n.getOpType()) {
      case "MatMul" -> slot == 1 ? Role.MATMUL_B : Role.MATMUL_A;
      case "Gemm" ->
          slot != 1 || rank != 2
              ? null
              : Nodes.intAttr(n, "transB", 0) != 0 ? Role.GEMM_B_TRANSPOSED : Role.MATMUL_B;
      case "Conv" -> slot == 1 && rank >= 3 ? Role.CONV_FILTER : null;
      case "ConvTranspose" -> slot == 1 && rank >= 3 ? Role.CONV_TRANSPOSE_FILTER : null;
      default -> null;
    };
  }
}
