package io.octet.cpu;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.cpu.KernelPairing.Role;
import io.octet.error.QuantErrors;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import io.octet.util.Checks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads an INT8 ONNX model, Octet's or anyone's, and finds from its weights alone the integer
 * MatMul/Gemm/Conv nodes whose int8 weights hold a pair the AVX2 kernel adds together with {@code
 * |w_a| + |w_b| > 128}: on x86 without VNNI such a node's int16 pair sum can saturate for some
 * input (see {@link KernelPairing}).
 *
 * <p>Recognised: {@code MatMulInteger}, {@code ConvInteger}, {@code QLinearMatMul}, {@code
 * QLinearConv}, and the contrib {@code DynamicQuantizeMatMul}, {@code MatMulIntegerToFloat}, {@code
 * QGemm} and {@code QAttention}, plus QDQ {@code MatMul}/{@code Gemm}/{@code Conv} whose weight
 * comes from a {@code DequantizeLinear} of a constant (ONNX Runtime fuses those into the same
 * kernels). The weight is followed through Identity, Transpose, Reshape, Squeeze, Unsqueeze and
 * Flatten on either side of the DequantizeLinear, permuting it as the graph does. uint8 weights run
 * on x86's u8 x u8 kernels, which widen to int16 before multiplying: they cannot saturate. Any
 * other MatMul-, Gemm-, Conv-, attention- or RNN-like node that reads an 8-bit constant is listed
 * as not checked, never as safe.
 *
 * <p>ARM64 CPUs without the dot-product extension run int8 x int8 products through {@code SMULL} +
 * {@code SMLAL} into int16 lanes: that pair sum wraps only for {@code (-128 * -128) + (-128 *
 * -128)}, so a weight pair of two -128 (never written by Octet, which keeps int8 weights symmetric
 * in [-127, 127]) is reported for the ARM64 target too.
 */
public final class Int8Check {
  private Int8Check() {}

  /**
   * One integer node's int8 weight.
   *
   * @param node the node's name (or its first output when unnamed)
   * @param opType its operator type
   * @param weight the int8/uint8 weight tensor's name
   * @param dataType INT8 or UINT8
   * @param shape the weight's dimensions
   * @param pairs how many pairs the kernels may add together
   * @param saturablePairs how many of them have {@code |w_a| + |w_b| > 128} (0 for uint8)
   * @param worstPairSum the largest {@code |w_a| + |w_b|} over same-sign pairs (0 for uint8)
   * @param arm64WrapPairs pairs of two -128, which wrap in ARM64's int16 S8S8 kernel
   */
  public record NodeFinding(
      String node,
      String opType,
      String weight,
      String dataType,
      List<Long> shape,
      long pairs,
      long saturablePairs,
      int worstPairSum,
      long arm64WrapPairs) {
    /** Copies the shape. */
    public NodeFinding {
      shape = List.copyOf(shape);
    }

    /**
     * Returns whether this node can saturate on a target.
     *
     * @param target the target
     * @return true when the target includes x86 without VNNI and a pair exceeds the bound
     */
    public boolean saturatesOn(Target target) {
      return (target.includesPairSaturatingKernels() && saturablePairs > 0)
          || (target != Target.VNNI && arm64WrapPairs > 0);
    }
  }

  /**
   * What the check found.
   *
   * @param model the model's name
   * @param nodes every integer node with a constant 8-bit weight, in graph order
   * @param skipped integer nodes whose 8-bit constant weight could not be checked (their kernels
   *     are not modelled, or the weight's layout could not be followed); never counted as safe
   */
  public record Result(String model, List<NodeFinding> nodes, List<String> skipped) {
    /** Copies the lists. */
    public Result {
      nodes = List.copyOf(nodes);
      skipped = List.copyOf(skipped);
    }

    /**
     * Returns the nodes that can saturate on a target.
     *
     * @param target the target
     * @return the saturable nodes
     */
    public List<NodeFinding> saturable(Target target) {
      return nodes.stream().filter(n -> n.saturatesOn(target)).toList();
    }

    /**
     * Returns whether the model is known safe on a target: no saturable node and nothing left
     * unchecked.
     *
     * @param target the target
     * @return true when every integer kernel was checked and none can saturate
     */
    public boolean safeOn(Target target) {
      return saturable(target).isEmpty() && skipped.isEmpty();
    }

    /**
     * Renders the findings for people: one line per saturable node, then a verdict per target.
     *
     * @param target the target the exit code is for
     * @return the text, ending with a newline
     */
    public String toText(Target target) {
      StringBuilder b = new StringBuilder();
      long saturable = nodes.stream().filter(n -> n.saturablePairs > 0).count();
      b.append(
          String.format(
              Locale.ROOT,
              "%s: %d integer MatMul/Gemm/Conv node(s) with constant 8-bit weights, %d with a"
                  + " same-sign weight pair above |w_a|+|w_b| = %d%n",
              model,
              nodes.size(),
              saturable,
              KernelPairing.PAIR_BOUND));
      for (NodeFinding n : nodes) {
        if (n.saturablePairs > 0) {
          b.append(
              String.format(
                  Locale.ROOT,
                  "  SATURABLE on avx2  %-14s %s  weight %s %s%s: %d of %d pairs above %d"
                      + " (worst %d)%n",
                  n.opType,
                  n.node,
                  n.weight,
                  n.dataType,
                  n.shape,
                  n.saturablePairs,
                  n.pairs,
                  KernelPairing.PAIR_BOUND,
                  n.worstPairSum));
        }
      }
      for (NodeFinding n : nodes) {
        if (n.arm64WrapPairs > 0) {
          b.append(
              String.format(
                  Locale.ROOT,
                  "  WRAPS on arm64 without dot product  %s %s  weight %s: %d pair(s) of -128, -128%n",
                  n.opType,
                  n.node,
                  n.weight,
                  n.arm64WrapPairs));
        }
      }
      for (String s : skipped) {
        b.append("  NOT CHECKED: ").append(s).append(System.lineSeparator());
      }
      for (Target t : Target.values()) {
        int count = saturable(t).size();
        b.append(
            String.format(
                Locale.ROOT,
                "  target %-8s %s%n",
                t.configName(),
                count > 0
                    ? count
                        + " node(s) can saturate"
                        + (t.includesPairSaturatingKernels()
                            ? " (x86 without VNNI: AVX2, AVX-512 without VNNI; or ARM64 int16)"
                            : " (ARM64 without dot product)")
                    : skipped.isEmpty()
                        ? "safe: no integer kernel of this target can saturate"
                        : "no checked node can saturate; " + skipped.size() + " not checked"));
      }
      int count = saturable(target).size();
      b.append(
          count == 0 && !skipped.isEmpty()
              ? "verdict for target "
                  + target.configName()
                  + ": UNKNOWN, "
                  + skipped.size()
                  + " node(s) with 8-bit constant weights could not be checked"
              : count == 0
                  ? "verdict for target " + target.configName() + ": OK"
                  : "verdict for target "
                      + target.configName()
                      + ": "
                      + count
                      + " node(s) can saturate; re-quantize with quantization.target = portable"
                      + " (or weight-encoding = reduce-range), or serve only on VNNI/ARM64 CPUs");
      return b.append(System.lineSeparator()).toString();
    }
  }

  /**
   * Checks every integer node of a model (subgraphs included).
   *
   * @param model the model
   * @return the findings
   */
  public static Result check(OnnxModel model) {
    Checks.checkNotNull(model, "model");
    List<NodeFinding> nodes = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    walk(model, model.proto().getGraph(), new HashMap<>(), nodes, skipped);
    return new Result(model.name(), nodes, skipped);
  }

  private static void walk(
      OnnxModel model,
      GraphProto g,
      Map<String, TensorProto> outerConstants,
      List<NodeFinding> nodes,
      List<String> skipped) {
    Map<String, TensorProto> constants = new HashMap<>(outerConstants);
    for (TensorProto t : g.getInitializerList()) {
      constants.put(t.getName(), t);
    }
    Map<String, NodeProto> producers = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String o : n.getOutputList()) {
        producers.put(o, n);
      }
      if (n.getOpType().equals("Constant") && n.getOutputCount() == 1) {
        Nodes.find(n, "value").ifPresent(a -> constants.put(n.getOutput(0), a.getT()));
      }
    }
    WeightTracer tracer = new WeightTracer(model, constants, producers);
    for (NodeProto n : g.getNodeList()) {
      Map<Integer, Slot> modelled = new HashMap<>();
      slots(n).forEach(sl -> modelled.put(sl.index, sl));
      for (int i = 0; i < n.getInputCount(); i++) {
        String input = n.getInput(i);
        if (input.isEmpty()) {
          continue;
        }
        Slot s = modelled.get(i);
        WeightTracer.Traced w =
            tracer.trace(
                input,
                s == null
                    ? WeightTracer.Via.ANY
                    : s.viaDequantize ? WeightTracer.Via.DEQUANTIZED : WeightTracer.Via.RAW);
        if (w == null) {
          continue;
        }
        if (s != null && w.unresolved() == null) {
          nodes.add(finding(model, n, s, w));
        } else if (s != null || (modelled.isEmpty() && readsAsKernelWeight(n))) {
          skipped.add(
              label(n)
                  + " ("
                  + n.getOpType()
                  + ") reads 8-bit weight '"
                  + w.name()
                  + "'"
                  + (w.unresolved() != null ? ": " + w.unresolved() : ": kernel not modelled"));
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          walk(model, a.getG(), constants, nodes, skipped);
        }
        for (GraphProto sub : a.getGraphsList()) {
          walk(model, sub, constants, nodes, skipped);
        }
      }
    }
  }

  /** Ops that multiply an 8-bit operand in an integer kernel Octet does not model. */
  private static boolean readsAsKernelWeight(NodeProto n) {
    String op = n.getOpType();
    if (SAFE_READERS.contains(op)) {
      return false;
    }
    return op.contains("MatMul")
        || op.contains("Gemm")
        || op.contains("Conv")
        || op.contains("Attention")
        || op.contains("LSTM")
        || op.contains("GRU")
        || op.contains("RNN");
  }

  /**
   * Readers of 8-bit constants whose arithmetic cannot saturate a pair: 4-bit weights ({@code
   * MatMulNBits}, magnitudes up to 8), float ConvTranspose after a DequantizeLinear (ONNX Runtime
   * 1.29 has no integer kernel for it), and an int8 constant as the left operand of a MatMul (not
   * the packed weight of the GEMM).
   */
  private static final java.util.Set<String> SAFE_READERS =
      java.util.Set.of("MatMulNBits", "ConvTranspose", "FusedMatMul");

  private static NodeFinding finding(OnnxModel model, NodeProto n, Slot s, WeightTracer.Traced w) {
    long[] dims = w.dims();
    List<Long> shape = java.util.Arrays.stream(dims).boxed().toList();
    if (dims.length == 0) {
      return new NodeFinding(label(n), n.getOpType(), w.name(), w.type(), shape, 0, 0, 0, 0);
    }
    if (s.role == Role.CONV_FILTER && dims.length < 3
        || s.role == Role.GEMM_B_TRANSPOSED && dims.length != 2) {
      throw QuantErrors.badModel(
          model.name(),
          "node "
              + label(n)
              + " ("
              + n.getOpType()
              + ") has weight '"
              + w.name()
              + "' of shape "
              + shape
              + ", which its operator cannot take",
          null);
    }
    int[] pairs = KernelPairing.pairs(dims, KernelPairing.orders(s.role, dims.length));
    if (!w.signed()) {
      return new NodeFinding(
          label(n), n.getOpType(), w.name(), w.type(), shape, pairs.length / 2, 0, 0, 0);
    }
    byte[] q = w.data();
    long saturable = 0;
    long wraps = 0;
    int worst = 0;
    for (int p = 0; p < pairs.length; p += 2) {
      byte a = q[pairs[p]];
      byte b = q[pairs[p + 1]];
      int sum = KernelPairing.pairSum(a, b);
      worst = Math.max(worst, sum);
      if (sum > KernelPairing.PAIR_BOUND) {
        saturable++;
      }
      if (a == Byte.MIN_VALUE && b == Byte.MIN_VALUE) {
        wraps++;
      }
    }
    return new NodeFinding(
        label(n),
        n.getOpType(),
        w.name(),
        w.type(),
        shape,
        pairs.length / 2,
        saturable,
        worst,
        wraps);
  }

  static String label(NodeProto n) {
    return !n.getName().isEmpty() ? n.getName() : n.getOutputCount() > 0 ? n.getOutput(0) : "?";
  }

  /**
   * An input of an integer node that may hold a weight, how the kernel reads it, and whether the
   * weight reaches it through a DequantizeLinear (QDQ form) rather than as raw int8.
   */
  private record Slot(int index, Role role, boolean viaDequantize) {}

  private static List<Slot> slots(NodeProto n) {
    boolean transB = Nodes.intAttr(n, "transB", 0) != 0;
    Role gemmB = transB ? Role.GEMM_B_TRANSPOSED : Role.MATMUL_B;
    return switch (n.getOpType()) {
      case "MatMulInteger", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "QAttention" ->
          List.of(new Slot(1, Role.MATMUL_B, false));
      case "QLinearMatMul" -> List.of(new Slot(3, Role.MATMUL_B, false));
      case "QGemm" -> List.of(new Slot(3, gemmB, false));
      case "QLinearConv" -> List.of(new Slot(3, Role.CONV_FILTER, false));
      case "ConvInteger" -> List.of(new Slot(1, Role.CONV_FILTER, false));
      case "MatMul" -> List.of(new Slot(1, Role.MATMUL_B, true));
      case "Gemm" -> List.of(new Slot(1, gemmB, true));
      case "Conv" -> List.of(new Slot(1, Role.CONV_FILTER, true));
      default -> List.of();
    };
  }
}
