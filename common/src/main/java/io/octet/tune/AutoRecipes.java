package io.octet.tune;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.calib.CalibrationMethod;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Derives auto mode's candidate recipes from what a graph contains: static INT8 on the MatMuls of
 * transformer blocks where there is attention, static INT8 on the weight-bearing ops and on the
 * full op set where there are convolutions (the full op set also where there is no attention),
 * dynamic INT8 where it rewrites a MatMul, fp16 always. Static recipes come once per clipping
 * method; all of them share one calibration pass.
 */
public final class AutoRecipes {
  private AutoRecipes() {}

  /** Operator types the transformer recipe quantizes. */
  public static final List<String> TRANSFORMER_OP_TYPES = List.of("MatMul", "Gemm");

  /** Operator types the conv recipe quantizes: those that carry weights. */
  public static final List<String> CONV_OP_TYPES =
      List.of("Conv", "ConvTranspose", "Gemm", "MatMul");

  /**
   * What the recipes are derived from.
   *
   * @param attention a Softmax fed by a MatMul of two activations (scaled dot-product attention)
   * @param convolutions Conv or ConvTranspose nodes
   * @param weightedMatMuls MatMul/Gemm nodes with a constant 2-D float weight
   * @param dynamicMatMuls MatMul nodes dynamic quantization rewrites: a constant 2-D float weight,
   *     an activation input, allowed by the include/exclude lists, opset 11 or newer
   * @param embeddingTables Gather nodes reading a constant 2-D float table of at least the
   *     configured size
   * @param largestTableBytes the largest such table, in bytes (0 when none)
   */
  public record GraphFacts(
      boolean attention,
      int convolutions,
      int weightedMatMuls,
      int dynamicMatMuls,
      int embeddingTables,
      long largestTableBytes) {

    /**
     * Reads the facts from a model whose constants are initializers.
     *
     * @param model the FP32 model (after constant folding)
     * @param embeddingMinBytes the smallest Gather table that counts
     * @param opts the model's options (their include/exclude lists), or null for none
     * @return the facts
     */
    public static GraphFacts of(OnnxModel model, long embeddingMinBytes, QuantOptions opts) {
      OnnxGraph g = new OnnxGraph(model.proto().getGraph());
      boolean dynamicOpset = model.opsetVersion(OnnxModel.DEFAULT_DOMAIN) >= 11;
      boolean attention = false;
      int conv = 0;
      int matmuls = 0;
      int dynamic = 0;
      int tables = 0;
      long largest = 0;
      for (NodeProto n : g.nodes()) {
        if (!n.getDomain().isEmpty()) {
          // Exporters that fuse attention put it in ONNX Runtime's domain.
          attention |= FUSED_ATTENTION.contains(n.getOpType());
          continue;
        }
        switch (n.getOpType()) {
          case "Softmax" -> attention |= fedByActivationMatMul(g, n.getInput(0), 6);
          case "Conv", "ConvTranspose" -> conv++;
          case "MatMul", "Gemm" -> {
            if (n.getInputCount() > 1 && floatMatrix(g, n.getInput(1)).isPresent()) {
              matmuls++;
              if (n.getOpType().equals("MatMul")
                  && dynamicOpset
                  && !g.isConstant(n.getInput(0))
                  && (opts == null || opts.allows(n.getName(), n.getOpType()))) {
                dynamic++;
              }
            }
          }
          case "Gather" -> {
            long bytes = n.getInputCount() > 0 ? floatMatrix(g, n.getInput(0)).orElse(0L) : 0;
            if (bytes > 0 && bytes >= embeddingMinBytes) {
              tables++;
              largest = Math.max(largest, bytes);
            }
          }
          default -> {}
        }
      }
      return new GraphFacts(attention, conv, matmuls, dynamic, tables, largest);
    }

    private static final java.util.Set<String> FUSED_ATTENTION =
        java.util.Set.of("Attention", "MultiHeadAttention", "GroupQueryAttention");

    /**
     * Whether the tensor comes, within a few elementwise steps (scale, mask add), from a MatMul of
     * two activations (queries by keys). A classifier's Softmax after a weight MatMul is not
     * attention.
     */
    private static boolean fedByActivationMatMul(OnnxGraph g, String tensor, int depth) {
      Optional<NodeProto> p = g.producer(tensor);
      if (p.isEmpty() || depth == 0) {
        return false;
      }
      NodeProto n = p.get();
      if (n.getOpType().equals("MatMul")) {
        return n.getInputCount() == 2
            && !g.isConstant(n.getInput(0))
            && !g.isConstant(n.getInput(1));
      }
      for (String in : n.getInputList()) {
        if (!in.isEmpty() && !g.isConstant(in) && fedByActivationMatMul(g, in, depth - 1)) {
          return true;
        }
      }
      return false;
    }

    /** The byte size of a constant 2-D float initializer, if the tensor is one. */
    private static Optional<Long> floatMatrix(OnnxGraph g, String name) {
      if (!g.isConstant(name)) {
        return Optional.empty();
      }
      return g.initializer(name)
          .filter(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == 2)
          .map(t -> t.getDims(0) * t.getDims(1) * 4L);
    }
  }

  /**
   * The recipes for a graph, in the order of {@link AutoOptions#recipes()}; plain recipes only
   * (8-bit embedding variants are offered once a recipe is chosen, see {@link AutoChoice}).
   *
   * @param facts what the graph contains
   * @param auto the auto section
   * @param configuredOpTypes the model's quantization.op-types (the full op set)
   * @param hasCalibrationData whether static recipes can be calibrated
   * @return the candidates (never empty: fp16 applies to every float model when allowed)
   */
  public static List<Recipe> derive(
      GraphFacts facts,
      AutoOptions auto,
      List<String> configuredOpTypes,
      boolean hasCalibrationData) {
    List<Recipe> out = new ArrayList<>();
    for (String family : auto.recipes()) {
      switch (family) {
        case Recipe.STATIC_TRANSFORMER -> {
          if (hasCalibrationData && facts.attention() && facts.weightedMatMuls() > 0) {
            for (CalibrationMethod m : auto.staticMethods()) {
              out.add(new Recipe(family, QuantMode.STATIC, TRANSFORMER_OP_TYPES, m, false));
            }
          }
        }
        case Recipe.STATIC_CONV -> {
          if (hasCalibrationData && facts.convolutions() > 0) {
            for (CalibrationMethod m : auto.staticMethods()) {
              out.add(new Recipe(family, QuantMode.STATIC, CONV_OP_TYPES, m, false));
            }
          }
        }
        case Recipe.STATIC_FULL -> {
          if (hasCalibrationData && (facts.convolutions() > 0 || !facts.attention())) {
            for (CalibrationMethod m : auto.staticMethods()) {
              out.add(new Recipe(family, QuantMode.STATIC, configuredOpTypes, m, false));
            }
          }
        }
        case Recipe.DYNAMIC -> {
          // Dynamic quantization rewrites MatMuls only: without one it would publish FP32.
          if (facts.dynamicMatMuls() > 0) {
            out.add(new Recipe(family, QuantMode.DYNAMIC, List.of(), null, false));
          }
        }
        case Recipe.FP16 -> out.add(new Recipe(family, QuantMode.FP16, List.of(), null, false));
        default -> throw new IllegalStateException("unknown recipe family " + family);
      }
    }
    return out;
  }

  /**
   * The operator types one calibration pass must cover so that every static recipe reuses its
   * histograms (each recipe's plan calibrates a subset of the same tensors).
   *
   * @param recipes the candidates
   * @return the union of the static recipes' op types, in first-seen order (empty: none static)
   */
  public static List<String> calibrationOpTypes(List<Recipe> recipes) {
    List<String> out = new ArrayList<>();
    for (Recipe r : recipes) {
      if (r.mode() == QuantMode.STATIC) {
        for (String t : r.opTypes()) {
          if (!out.contains(t)) {
            out.add(t);
          }
        }
      }
    }
    return out;
  }
}
