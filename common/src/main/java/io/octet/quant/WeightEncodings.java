package io.octet.quant;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.octet.cpu.EncodedWeights;
import io.octet.cpu.KernelPairing;
import io.octet.cpu.KernelPairing.Role;
import io.octet.cpu.SaturationAwareEncoder;
import io.octet.cpu.WeightEncoding;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import java.util.ArrayList;
import java.util.List;

/** Encodes the int8 weights of integer MatMul/Gemm/Conv kernels under a {@link WeightEncoding}. */
final class WeightEncodings {
  private WeightEncodings() {}

  /**
   * Encodes a constant weight for every integer kernel that reads it.
   *
   * @param g the graph the weight belongs to
   * @param reader the node being quantized, which reads the weight at {@code slot}
   * @param slot the input index of the weight in {@code reader}
   * @param values its float values
   * @param dims its dimensions
   * @param axis the per-channel axis, or -1 for one scale
   * @param encoding the encoding
   * @return int8 values and scales
   */
  static EncodedWeights encode(
      OnnxGraph g,
      NodeProto reader,
      int slot,
      float[] values,
      long[] dims,
      int axis,
      WeightEncoding encoding) {
    int[] pairs = new int[0];
    if (encoding == WeightEncoding.SATURATION_AWARE) {
      // The node being quantized, plus every other reader of the same initializer (a weight
      // shared by two MatMuls, or read from a subgraph), so that one encoding is safe for all.
      List<int[]> orders = new ArrayList<>(orders(reader, slot, dims.length));
      orders.addAll(orders(g, reader.getInput(slot), dims.length));
      pairs = KernelPairing.pairs(dims, orders);
    }
    return SaturationAwareEncoder.encode(values, dims, axis, pairs, encoding);
  }

  /**
   * Returns whether a node reads its input {@code slot} as the weight of an integer kernel.
   *
   * @param n the node
   * @param slot the input index
   * @param rank the weight's rank
   * @return true for MatMul B, Gemm B and Conv filters (an int8 left MatMul operand and a
   *     ConvTranspose filter never reach the pairing kernel as packed weights)
   */
  static boolean isKernelWeight(NodeProto n, int slot, int rank) {
    return rank > 0 && role(n, slot, rank) != null;
  }

  private static List<int[]> orders(NodeProto n, int slot, int rank) {
    Role r = rank == 0 ? null : role(n, slot, rank);
    return r == null ? List.of() : KernelPairing.orders(r, rank);
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
          out.addAll(orders(n, k, rank));
        }
      }
    }
    return out;
  }

  private static Role role(NodeProto n, int slot, int rank) {
    return switch (n.getOpType()) {
      case "MatMul" -> slot == 1 ? Role.MATMUL_B : null;
      case "Gemm" ->
          slot != 1 || rank != 2
              ? null
              : Nodes.intAttr(n, "transB", 0) != 0 ? Role.GEMM_B_TRANSPOSED : Role.MATMUL_B;
      case "Conv" -> slot == 1 && rank >= 3 ? Role.CONV_FILTER : null;
      default -> null;
    };
  }
}
