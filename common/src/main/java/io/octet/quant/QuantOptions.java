package io.octet.quant;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.QuantType;
import io.octet.cpu.Target;
import io.octet.cpu.WeightEncoding;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the engine needs to decide what to quantize and how: the {@code quantization} section
 * of a model's config. Defaults live in {@code reference.conf} only; {@link #defaults()} reads
 * them.
 *
 * @param mode static, dynamic, fp16 or weight-only-int4
 * @param method how activation clipping ranges are chosen from the histograms
 * @param percentile the percentile for {@link CalibrationMethod#PERCENTILE}, in (0, 100]
 * @param activationType int8 or uint8 activations (uint8 runs faster on x86 without VNNI)
 * @param activationSymmetric symmetric activation ranges around zero
 * @param perChannel per-output-channel weight scales (else per-tensor)
 * @param opTypes operator types quantized in static mode
 * @param includeNodes when not empty, only these nodes are quantized
 * @param excludeNodes nodes never quantized
 * @param excludeOpTypes operator types never quantized
 * @param tensorOverrides per-tensor exceptions, by tensor name
 * @param quantizeEmbeddings store Gather tables (embeddings) as 8-bit, dequantized after the lookup
 * @param int4BlockSize block size along K for weight-only int4 (power of two, >= 16)
 * @param int4Symmetric symmetric int4 blocks (zero point 8) instead of per-block zero points
 * @param fp16KeepOpTypes operator types kept in FP32 in fp16 mode (numerically fragile ops)
 * @param target the CPUs the artifact is for (see {@link Target})
 * @param weightEncoding how int8 MatMul/Gemm/Conv weights are encoded, resolved for the target
 */
public record QuantOptions(
    QuantMode mode,
    CalibrationMethod method,
    double percentile,
    QuantType activationType,
    boolean activationSymmetric,
    boolean perChannel,
    List<String> opTypes,
    List<String> includeNodes,
    List<String> excludeNodes,
    List<String> excludeOpTypes,
    Map<String, TensorOverride> tensorOverrides,
    boolean quantizeEmbeddings,
    int int4BlockSize,
    boolean int4Symmetric,
    List<String> fp16KeepOpTypes,
    Target target,
    WeightEncoding weightEncoding)
    implements java.io.Serializable {

  /** Copies collections and validates ranges. */
  public QuantOptions {
    opTypes = List.copyOf(opTypes);
    includeNodes = List.copyOf(includeNodes);
    excludeNodes = List.copyOf(excludeNodes);
    excludeOpTypes = List.copyOf(excludeOpTypes);
    tensorOverrides = Map.copyOf(tensorOverrides);
    fp16KeepOpTypes = List.copyOf(fp16KeepOpTypes);
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException("Percentile must be in (0, 100], got: " + percentile);
    }
    if (target == null || weightEncoding == null) {
      throw new IllegalArgumentException("target and weight encoding are required");
    }
    // Auto mode's candidates include static and dynamic ones: they inherit the encoding.
    boolean int8Kernels =
        mode == QuantMode.STATIC || mode == QuantMode.DYNAMIC || mode == QuantMode.AUTO;
    if (int8Kernels && target.includesPairSaturatingKernels() && !weightEncoding.isPairSafe()) {
      throw new IllegalArgumentException(
          "quantization.weight-encoding = "
              + weightEncoding
              + " can saturate ONNX Runtime's AVX2 kernels, which target "
              + target
              + " includes; use saturation-aware or reduce-range, or set quantization.target ="
              + " vnni (or arm64) for artifacts served only on CPUs that accumulate in int32");
    }
    if (int4BlockSize < 16 || Integer.bitCount(int4BlockSize) != 1) {
      throw new IllegalArgumentException(
          "int4 block size must be a power of two >= 16, got: " + int4BlockSize);
    }
  }

  /**
   * Reads the {@code quantization} section (already merged with its defaults).
   *
   * @param c a config whose root holds the quantization keys
   * @return the options
   */
  public static QuantOptions fromConfig(Config c) {
    Map<String, TensorOverride> overrides = new LinkedHashMap<>();
    Config ov = c.getConfig("tensor-overrides");
    for (Map.Entry<String, ConfigValue> e : ov.root().entrySet()) {
      Config t = ov.getConfig(com.typesafe.config.ConfigUtil.joinPath(e.getKey()));
      overrides.put(e.getKey(), overrideFrom(t));
    }
    return new QuantOptions(
        QuantMode.fromConfig(c.getString("mode")),
        CalibrationMethod.fromConfig(c.getString("method")),
        c.getDouble("percentile"),
        QuantType.fromConfig(c.getString("activation-type")),
        c.getBoolean("activation-symmetric"),
        c.getBoolean("per-channel"),
        c.getStringList("op-types"),
        c.getStringList("include-nodes"),
        c.getStringList("exclude-nodes"),
        c.getStringList("exclude-op-types"),
        overrides,
        c.getBoolean("quantize-embeddings"),
        c.getInt("int4.block-size"),
        c.getBoolean("int4.symmetric"),
        c.getStringList("fp16.keep-fp32-op-types"),
        Target.fromConfig(c.getString("target")),
        WeightEncoding.fromConfig(
            c.getString("weight-encoding"), Target.fromConfig(c.getString("target"))));
  }

  private static TensorOverride overrideFrom(Config t) {
    Float lo = null;
    Float hi = null;
    if (t.hasPath("range")) {
      List<Double> r = t.getDoubleList("range");
      if (r.size() != 2) {
        throw new IllegalArgumentException("range must be [lo, hi], got " + r);
      }
      lo = r.get(0).floatValue();
      hi = r.get(1).floatValue();
    }
    return new TensorOverride(
        t.hasPath("method") ? CalibrationMethod.fromConfig(t.getString("method")) : null,
        t.hasPath("percentile") ? t.getDouble("percentile") : null,
        lo,
        hi,
        t.hasPath("symmetric") ? t.getBoolean("symmetric") : null,
        t.hasPath("activation-type") ? QuantType.fromConfig(t.getString("activation-type")) : null);
  }

  /**
   * The defaults from {@code reference.conf} ({@code octet.quantization}) as one fixed recipe: when
   * the default mode is auto (a search, see {@link QuantMode#AUTO}), the static recipe its
   * candidates start from.
   *
   * @return the default options
   */
  public static QuantOptions defaults() {
    QuantOptions d = fromConfig(ConfigFactory.defaultReference().getConfig("octet.quantization"));
    // Auto mode is a search over recipes, not one: its static candidates start from these.
    return d.mode() == QuantMode.AUTO ? d.withMode(QuantMode.STATIC) : d;
  }

  /**
   * Returns true when the node may be quantized under the include/exclude lists.
   *
   * @param nodeName the node's name
   * @param opType its operator type
   * @return whether it is eligible
   */
  public boolean allows(String nodeName, String opType) {
    if (excludeNodes.contains(nodeName) || excludeOpTypes.contains(opType)) {
      return false;
    }
    return includeNodes.isEmpty() || includeNodes.contains(nodeName);
  }

  /**
   * Returns a builder initialised with these options.
   *
   * @return the builder
   */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes a few options of an existing {@link QuantOptions}; validation runs in build(). */
  public static final class Builder {
    private QuantMode mode;
    private CalibrationMethod method;
    private double percentile;
    private QuantType activationType;
    private boolean activationSymmetric;
    private boolean perChannel;
    private List<String> opTypes;
    private List<String> includeNodes;
    private List<String> excludeNodes;
    private List<String> excludeOpTypes;
    private Map<String, TensorOverride> tensorOverrides;
    private boolean quantizeEmbeddings;
    private int int4BlockSize;
    private boolean int4Symmetric;
    private List<String> fp16KeepOpTypes;
    private Target target;
    private WeightEncoding weightEncoding;

    private Builder(QuantOptions o) {
      mode = o.mode();
      method = o.method();
      percentile = o.percentile();
      activationType = o.activationType();
      activationSymmetric = o.activationSymmetric();
      perChannel = o.perChannel();
      opTypes = o.opTypes();
      includeNodes = o.includeNodes();
      excludeNodes = o.excludeNodes();
      excludeOpTypes = o.excludeOpTypes();
      tensorOverrides = o.tensorOverrides();
      quantizeEmbeddings = o.quantizeEmbeddings();
      int4BlockSize = o.int4BlockSize();
      int4Symmetric = o.int4Symmetric();
      fp16KeepOpTypes = o.fp16KeepOpTypes();
      target = o.target();
      weightEncoding = o.weightEncoding();
    }

    /**
     * Sets the target and the weight encoding that goes with it.
     *
     * @param t the target
     * @param e the weight encoding
     * @return this builder
     */
    public Builder target(Target t, WeightEncoding e) {
      target = t;
      weightEncoding = e;
      return this;
    }

    /**
     * Sets mode.
     *
     * @param v the value
     * @return this builder
     */
    public Builder mode(QuantMode v) {
      mode = v;
      return this;
    }

    /**
     * Sets method.
     *
     * @param v the value
     * @return this builder
     */
    public Builder method(CalibrationMethod v) {
      method = v;
      return this;
    }

    /**
     * Sets activationType.
     *
     * @param v the value
     * @return this builder
     */
    public Builder activationType(QuantType v) {
      activationType = v;
      return this;
    }

    /**
     * Sets activationSymmetric.
     *
     * @param v the value
     * @return this builder
     */
    public Builder activationSymmetric(boolean v) {
      activationSymmetric = v;
      return this;
    }

    /**
     * Sets perChannel.
     *
     * @param v the value
     * @return this builder
     */
    public Builder perChannel(boolean v) {
      perChannel = v;
      return this;
    }

    /**
     * Sets opTypes.
     *
     * @param v the value
     * @return this builder
     */
    public Builder opTypes(List<String> v) {
      opTypes = v;
      return this;
    }

    /**
     * Sets includeNodes.
     *
     * @param v the value
     * @return this builder
     */
    public Builder includeNodes(List<String> v) {
      includeNodes = v;
      return this;
    }

    /**
     * Sets excludeNodes.
     *
     * @param v the value
     * @return this builder
     */
    public Builder excludeNodes(List<String> v) {
      excludeNodes = v;
      return this;
    }

    /**
     * Sets tensorOverrides.
     *
     * @param v the value
     * @return this builder
     */
    public Builder tensorOverrides(Map<String, TensorOverride> v) {
      tensorOverrides = v;
      return this;
    }

    /**
     * Sets quantizeEmbeddings.
     *
     * @param v the value
     * @return this builder
     */
    public Builder quantizeEmbeddings(boolean v) {
      quantizeEmbeddings = v;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the validated options
     */
    public QuantOptions build() {
      return new QuantOptions(
          mode,
          method,
          percentile,
          activationType,
          activationSymmetric,
          perChannel,
          opTypes,
          includeNodes,
          excludeNodes,
          excludeOpTypes,
          tensorOverrides,
          quantizeEmbeddings,
          int4BlockSize,
          int4Symmetric,
          fp16KeepOpTypes,
          target,
          weightEncoding);
    }
  }

  /**
   * Returns a copy with another mode.
   *
   * @param m the new value
   * @return the copy
   */
  public QuantOptions withMode(QuantMode m) {
    return toBuilder().mode(m).build();
  }

  /**
   * Returns a copy with another calibration method.
   *
   * @param m the new value
   * @return the copy
   */
  public QuantOptions withMethod(CalibrationMethod m) {
    return toBuilder().method(m).build();
  }

  /**
   * Returns a copy with other op types.
   *
   * @param ops the new value
   * @return the copy
   */
  public QuantOptions withOpTypes(List<String> ops) {
    return toBuilder().opTypes(ops).build();
  }

  /**
   * Returns a copy with another inclusion list (empty = every node).
   *
   * @param nodes the new value
   * @return the copy
   */
  public QuantOptions withIncludeNodes(List<String> nodes) {
    return toBuilder().includeNodes(nodes).build();
  }

  /**
   * Returns a copy with another exclusion list.
   *
   * @param nodes the new value
   * @return the copy
   */
  public QuantOptions withExcludeNodes(List<String> nodes) {
    return toBuilder().excludeNodes(nodes).build();
  }

  /**
   * Returns a copy with per-channel weights on or off.
   *
   * @param on the new value
   * @return the copy
   */
  public QuantOptions withPerChannel(boolean on) {
    return toBuilder().perChannel(on).build();
  }

  /**
   * Returns a copy with embeddings quantization on or off.
   *
   * @param on the new value
   * @return the copy
   */
  public QuantOptions withQuantizeEmbeddings(boolean on) {
    return toBuilder().quantizeEmbeddings(on).build();
  }

  /**
   * Returns a copy with other tensor overrides.
   *
   * @param overrides the new value
   * @return the copy
   */
  public QuantOptions withTensorOverrides(Map<String, TensorOverride> overrides) {
    return toBuilder().tensorOverrides(overrides).build();
  }

  /**
   * Returns a copy with another activation type and symmetry.
   *
   * @param type int8 or uint8
   * @param symmetric symmetric ranges
   * @return the copy
   */
  public QuantOptions withActivations(QuantType type, boolean symmetric) {
    return toBuilder().activationType(type).activationSymmetric(symmetric).build();
  }

  /**
   * Names of op types that only move values around, so their output can reuse the input's
   * quantization parameters.
   */
  static final Set<String> RANGE_PRESERVING =
      Set.of(
          "Reshape",
          "Transpose",
          "Flatten",
          "Squeeze",
          "Unsqueeze",
          "Gather",
          "Slice",
          "Identity",
          "MaxPool",
          "DepthToSpace",
          "SpaceToDepth",
          "Expand",
          "Tile");
}
