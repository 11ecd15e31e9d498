package io.octet.cpu;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.error.QuantErrors;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows an operand back to an 8-bit constant through the layout ops and the DequantizeLinear a
 * graph may put between a weight and its kernel, and reproduces the layout the kernel sees (ONNX
 * Runtime folds those ops into the weight before packing it).
 */
final class WeightTracer {
  private static final Set<String> LAYOUT =
      Set.of("Identity", "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten");

  /** How the operand must reach the node. */
  enum Via {
    /** As raw int8/uint8 (integer operators). */
    RAW,
    /** Through one DequantizeLinear (QDQ float operators). */
    DEQUANTIZED,
    /** Either (operators Octet does not model). */
    ANY
  }

  /**
   * A traced weight.
   *
   * @param name the 8-bit constant's name
   * @param type int8 or uint8
   * @param signed whether it is int8
   * @param dims the dimensions the kernel sees
   * @param data the values in that layout (null when {@code unresolved})
   * @param unresolved why the layout could not be reproduced, or null
   */
  record Traced(
      String name, String type, boolean signed, long[] dims, byte[] data, String unresolved) {}

  private final OnnxModel model;
  private final Map<String, TensorProto> constants;
  private final Map<String, NodeProto> producers;

  WeightTracer(
      OnnxModel model, Map<String, TensorProto> constants, Map<String, NodeProto> producers) {
    this.model = model;
    this.constants = constants;
    this.producers = producers;
  }

  /**
   * Traces an operand.
   *
   * @param input the operand's tensor name
   * @param via how the node must read it
   * @return the weight, or null when the operand is not an 8-bit constant reached that way
   */
  Traced trace(String input, Via via) {
    List<NodeProto> chain = new ArrayList<>();
    String t = input;
    boolean passedDq = false;
    for (int guard = 0; guard < 64; guard++) {
      TensorProto c = constants.get(t);
      if (c != null) {
        int dt = c.getDataType();
        boolean signed = dt == TensorProto.DataType.INT8_VALUE;
        if (!signed && dt != TensorProto.DataType.UINT8_VALUE) {
          return null;
        }
        if ((via == Via.DEQUANTIZED && !passedDq) || (via == Via.RAW && passedDq)) {
          return null;
        }
        Collections.reverse(chain);
        return apply(c, signed, chain);
      }
      NodeProto p = producers.get(t);
      if (p == null || p.getInputCount() == 0) {
        return null;
      }
      if (LAYOUT.contains(p.getOpType())) {
        chain.add(p);
      } else if (p.getOpType().equals("DequantizeLinear") && !passedDq) {
        passedDq = true;
      } else {
        return null;
      }
      t = p.getInput(0);
    }
    return null;
  }

  private Traced apply(TensorProto c, boolean signed, List<NodeProto> chain) {
    String type = signed ? "int8" : "uint8";
    long[] dims = c.getDimsList().stream().mapToLong(Long::longValue).toArray();
    byte[] data = TensorData.rawBytes(c, model.baseDir(), model.name());
    long need = 1;
    for (long d : dims) {
      need *= d;
    }
    if (data.length != need) {
      throw QuantErrors.badModel(
          model.name(),
          "tensor '"
              + c.getName()
              + "' holds "
              + data.length
              + " bytes but its shape "
              + Arrays.toString(dims)
              + " needs "
              + need,
          null);
    }
    for (NodeProto op : chain) {
      String why;
      switch (op.getOpType()) {
        case "Identity" -> why = null;
        case "Transpose" -> {
          int[] perm = perm(op, dims.length);
          if (perm == null) {
            why = "Transpose " + Int8Check.label(op) + " has an invalid perm";
          } else {
            data = transpose(data, dims, perm);
            long[] out = new long[dims.length];
            for (int i = 0; i < perm.length; i++) {
              out[i] = dims[perm[i]];
            }
            dims = out;
            why = null;
          }
        }
        default -> {
          long[] out = reshaped(op, dims);
          why =
              out == null
                  ? op.getOpType() + " " + Int8Check.label(op) + " to a computed shape"
                  : null;
          if (out != null) {
            dims = out;
          }
        }
      }
      if (why != null) {
        return new Traced(c.getName(), type, signed, dims, null, "cannot follow " + why);
      }
    }
    return new Traced(c.getName(), type, signed, dims, data, null);
  }

  private static int[] perm(NodeProto op, int rank) {
    int[] perm = new int[rank];
    var attr = Nodes.find(op, "perm");
    if (attr.isEmpty()) {
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
      return perm;
    }
    List<Long> p = attr.get().getIntsList();
    if (p.size() != rank) {
      return null;
    }
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < rank; i++) {
      long v = p.get(i);
      if (v < 0 || v >= rank || seen[(int) v]) {
        return null;
      }
      seen[(int) v] = true;
      perm[i] = (int) v;
    }
    return perm;
  }

  static byte[] transpose(byte[] data, long[] dims, int[] perm) {
    int rank = dims.length;
    long[] inStride = new long[rank];
    long s = 1;
    for (int i = rank - 1; i >= 0; i--) {
      inStride[i] = s;
      s *= dims[i];
    }
    byte[] out = new byte[data.length];
    if (data.length == 0) {
      return out;
    }
    long[] idx = new long[rank];
    for (int o = 0; o < out.length; o++) {
      long at = 0;
      for (int i = 0; i < rank; i++) {
        at += idx[i] * inStride[perm[i]];
      }
      out[o] = data[(int) at];
      for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < dims[perm[i]]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return out;
  }

  /** New dimensions after an order-preserving layout op, or null when they are computed. */
  private long[] reshaped(NodeProto op, long[] dims) {
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    switch (op.getOpType()) {
      case "Flatten" -> {
        int rank = dims.length;
        long axis = Nodes.intAttr(op, "axis", 1);
        if (axis < 0) {
          axis += rank;
        }
        if (axis < 0 || axis > rank) {
          return null;
        }
        long outer = 1;
        for (int i = 0; i < axis; i++) {
          outer *= dims[i];
        }
        return new long[] {outer, outer == 0 ? 0 : count / outer};
      }
      case "Reshape" -> {
        long[] shape = longs(op, 1);
        if (shape == null) {
          return null;
        }
        long[] out = shape.clone();
        int infer = -1;
        long known = 1;
        boolean allowZero = Nodes.intAttr(op, "allowzero", 0) != 0;
        for (int i = 0; i < out.length; i++) {
          if (out[i] == 0 && !allowZero) {
            if (i >= dims.length) {
              return null;
            }
            out[i] = dims[i];
          }
          if (out[i] == -1) {
            if (infer >= 0) {
              return null;
            }
            infer = i;
          } else {
            known *= out[i];
          }
        }
        if (infer >= 0) {
          if (known == 0) {
            return null;
          }
          out[infer] = count / known;
          known *= out[infer];
        }
        return known == count ? out : null;
      }
      case "Squeeze" -> {
        long[] axes = axes(op);
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) {
          boolean drop = axes == null ? dims[i] == 1 : contains(axes, i, dims.length);
          if (!drop) {
            out.add(dims[i]);
          }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
      }
      case "Unsqueeze" -> {
        long[] axes = axes(op);
        if (axes == null) {
          return null;
        }
        int rank = dims.length + axes.length;
        long[] out = new long[rank];
        int from = 0;
        for (int i = 0; i < rank; i++) {
          out[i] = contains(axes, i, rank) ? 1 : from < dims.length ? dims[from++] : -1;
        }
        return from == dims.length ? out : null;
      }
      default -> {
        return null;
      }
    }
  }

  private long[] axes(NodeProto op) {
    var attr = Nodes.find(op, "axes");
    if (attr.isPresent()) {
      return attr.get().getIntsList().stream().mapToLong(Long::longValue).toArray();
    }
    return op.getInputCount() > 1 && !op.getInput(1).isEmpty() ? longs(op, 1) : null;
  }

  private static boolean contains(long[] axes, int i, int rank) {
    for (long a : axes) {
      if ((a < 0 ? a + rank : a) == i) {
        return true;
      }
    }
    return false;
  }

  private long[] longs(NodeProto op, int slot) {
    if (op.getInputCount() <= slot) {
      return null;
    }
    TensorProto t = constants.get(op.getInput(slot));
    if (t == null || t.getDataType() != TensorProto.DataType.INT64_VALUE) {
      return null;
    }
    return TensorData.toLongs(t, model.baseDir(), model.name());
  }
}
