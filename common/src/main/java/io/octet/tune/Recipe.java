package io.octet.tune;

import io.octet.calib.CalibrationMethod;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * One of auto mode's candidate recipes: what it changes in the model's quantization options. The
 * options it leaves alone (target, weight encoding, activation type, per-channel, include and
 * exclude lists, tensor overrides) are the model's own, so constraints a user sets hold for every
 * candidate.
 *
 * @param family which rule derived it (one of {@link #FAMILIES})
 * @param mode the mode it quantizes in
 * @param opTypes operator types quantized (static recipes; empty for the others)
 * @param method clipping method (static recipes; null for the others)
 * @param embeddings8bit whether Gather tables are stored as 8 bits
 * @param fp32Nodes nodes kept in FP32 on top of the model's exclude-nodes (static recipes the tuner
 *     refined; empty otherwise)
 */
public record Recipe(
    String family,
    QuantMode mode,
    List<String> opTypes,
    CalibrationMethod method,
    boolean embeddings8bit,
    List<String> fp32Nodes)
    implements Serializable {

  /** Static INT8 on the MatMuls and Gemms of a transformer (attention and feed-forward). */
  public static final String STATIC_TRANSFORMER = "static-transformer";

  /**
   * Static INT8 on the weight-bearing ops of a conv net only (Conv, ConvTranspose, Gemm, MatMul):
   * the elementwise paths (squeeze-and-excitation, hard-swish, residual adds, upsampling) stay
   * FP32, where some detectors lose most of their precision.
   */
  public static final String STATIC_CONV = "static-conv";

  /** Static INT8 on the model's configured op types (quantization.op-types): conv nets, MLPs. */
  public static final String STATIC_FULL = "static-full";

  /** Dynamic INT8 (weights ahead of time, activation ranges at run time) on MatMul weights. */
  public static final String DYNAMIC = "dynamic";

  /** Half precision: the safe fallback, half the size, rarely faster on CPUs. */
  public static final String FP16 = "fp16";

  /** Every recipe family, in the order auto mode lists them. */
  public static final List<String> FAMILIES =
      List.of(STATIC_TRANSFORMER, STATIC_CONV, STATIC_FULL, DYNAMIC, FP16);

  /** Checks the parts fit the mode. */
  public Recipe {
    if (!FAMILIES.contains(family) || mode == null || mode == QuantMode.AUTO) {
      throw new IllegalArgumentException("not a recipe: " + family + " / " + mode);
    }
    opTypes = List.copyOf(opTypes);
    fp32Nodes = List.copyOf(fp32Nodes);
    if ((mode == QuantMode.STATIC) != (method != null)) {
      throw new IllegalArgumentException("a static recipe, and only one, names its method");
    }
    if (!fp32Nodes.isEmpty() && mode != QuantMode.STATIC) {
      throw new IllegalArgumentException("only a static recipe keeps chosen nodes in FP32");
    }
  }

  /**
   * A recipe as auto mode derives it from the graph, with no node kept in FP32.
   *
   * @param family which rule derived it
   * @param mode the mode
   * @param opTypes operator types quantized
   * @param method clipping method
   * @param embeddings8bit whether Gather tables are stored as 8 bits
   */
  public Recipe(
      String family,
      QuantMode mode,
      List<String> opTypes,
      CalibrationMethod method,
      boolean embeddings8bit) {
    this(family, mode, opTypes, method, embeddings8bit, List.of());
  }

  /**
   * The model's options with this recipe applied.
   *
   * @param base the model's quantization options
   * @return the candidate's options
   */
  public QuantOptions apply(QuantOptions base) {
    // An explicit quantize-embeddings = true holds for every candidate (ConfigLoader turns the
    // search over embeddings off then).
    QuantOptions.Builder b =
        base.toBuilder().mode(mode).quantizeEmbeddings(embeddings8bit || base.quantizeEmbeddings());
    if (mode == QuantMode.STATIC) {
      b.opTypes(opTypes).method(method);
      if (!fp32Nodes.isEmpty()) {
        List<String> excluded = new java.util.ArrayList<>(base.excludeNodes());
        fp32Nodes.stream().filter(n -> !excluded.contains(n)).forEach(excluded::add);
        b.excludeNodes(excluded);
      }
    }
    return b.build();
  }

  /**
   * The same recipe with 8-bit embedding tables.
   *
   * @return the variant
   */
  public Recipe withEmbeddings8bit() {
    return new Recipe(family, mode, opTypes, method, true, fp32Nodes);
  }

  /**
   * The same recipe with these nodes kept in FP32 (what the tuner found).
   *
   * @param nodes node names
   * @return the refined recipe
   */
  public Recipe withFp32Nodes(List<String> nodes) {
    return new Recipe(family, mode, opTypes, method, embeddings8bit, nodes);
  }

  /**
   * A short name for tables and logs, e.g. {@code static-transformer/mse+emb8}, or {@code
   * static-conv/percentile+7fp32} with seven nodes kept in FP32.
   *
   * @return the label
   */
  public String label() {
    String s = method == null ? family : family + "/" + method.configName();
    if (!fp32Nodes.isEmpty()) {
      s += "+" + fp32Nodes.size() + "fp32";
    }
    return embeddings8bit ? s + "+emb8" : s;
  }

  @Override
  public String toString() {
    return label().toLowerCase(Locale.ROOT);
  }
}
