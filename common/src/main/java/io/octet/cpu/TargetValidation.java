package io.octet.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.util.Checks;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What validation can say about an artifact's target: the encoding, what {@link Int8Check} found in
 * its weights, the CPUs that ran the validation, and whether their kernels compute what the
 * target's kernels compute.
 *
 * @param target the artifact's target
 * @param weightEncoding the weight encoding it was built with
 * @param integerNodes integer MatMul/Gemm/Conv nodes with constant 8-bit weights
 * @param saturableNodes those with a weight pair above the AVX2 bound
 * @param worstPairSum the largest {@code |w_a| + |w_b|} over every pair (0 when none)
 * @param validatedOn the distinct CPUs validation ran on (executors, and the driver for latency)
 * @param onnxRuntime the ONNX Runtime version that validated
 * @param cannotShow null when the validating CPUs compute exactly what the target's kernels do;
 *     otherwise why not, for the report
 */
public record TargetValidation(
    String target,
    String weightEncoding,
    int integerNodes,
    int saturableNodes,
    int worstPairSum,
    List<CpuFeatures> validatedOn,
    String onnxRuntime,
    String cannotShow)
    implements java.io.Serializable {

  /** Copies the list. */
  public TargetValidation {
    Checks.checkNotNull(target, "target");
    Checks.checkNotNull(weightEncoding, "weightEncoding");
    validatedOn = List.copyOf(validatedOn);
    onnxRuntime = onnxRuntime == null ? "" : onnxRuntime;
  }

  /**
   * Assesses an artifact.
   *
   * @param target its target
   * @param encoding its weight encoding
   * @param check what its weights allow
   * @param cpus the CPUs validation ran on
   * @param onnxRuntime the ONNX Runtime version
   * @return the assessment
   */
  public static TargetValidation of(
      Target target,
      WeightEncoding encoding,
      Int8Check.Result check,
      List<CpuFeatures> cpus,
      String onnxRuntime) {
    List<CpuFeatures> distinct = new ArrayList<>(new LinkedHashSet<>(cpus));
    int saturable = (int) check.nodes().stream().filter(n -> n.saturablePairs() > 0).count();
    int worst =
        check.nodes().stream().mapToInt(Int8Check.NodeFinding::worstPairSum).max().orElse(0);
    boolean pairSafe = saturable == 0;
    List<String> reasons = new ArrayList<>();
    if (target.includesPairSaturatingKernels() && !pairSafe) {
      reasons.add(
          saturable
              + " integer node(s) have weight pairs above the AVX2 bound: the artifact is not"
              + " portable and its results differ by CPU");
    }
    for (CpuFeatures cpu : distinct) {
      String why = cpu.cannotShow(target, pairSafe);
      if (why != null && !reasons.contains(why)) {
        reasons.add(why);
      }
    }
    if (distinct.isEmpty() && !pairSafe) {
      reasons.add("no validating CPU was recorded");
    }
    return new TargetValidation(
        target.configName(),
        encoding.configName(),
        check.nodes().size(),
        saturable,
        worst,
        distinct,
        onnxRuntime,
        reasons.isEmpty() ? null : String.join("; ", reasons));
  }

  /**
   * Returns whether the validating CPUs compute what the target's kernels compute.
   *
   * @return true when the metrics hold on the target
   */
  public boolean showsTarget() {
    return cannotShow == null;
  }

  /**
   * Writes this as a JSON object.
   *
   * @param o the object to fill
   */
  public void putJson(ObjectNode o) {
    o.put("name", target);
    o.put("weight-encoding", weightEncoding);
    o.put("integer-nodes", integerNodes);
    o.put("saturable-nodes-on-avx2", saturableNodes);
    o.put("worst-pair-sum", worstPairSum);
    o.put("pair-bound", KernelPairing.PAIR_BOUND);
    ArrayNode v = o.putArray("validated-on");
    for (CpuFeatures c : validatedOn) {
      ObjectNode co = v.addObject();
      co.put("arch", c.arch());
      ArrayNode f = co.putArray("flags");
      c.flags().forEach(f::add);
      co.put("int32-accumulation", c.int32Accumulation());
    }
    o.put("onnxruntime", onnxRuntime);
    o.put("shows-target-arithmetic", showsTarget());
    if (cannotShow == null) {
      o.putNull("note");
    } else {
      o.put("note", cannotShow);
    }
  }

  /**
   * Reads what {@link #putJson} wrote.
   *
   * @param o the object
   * @return the assessment, or null when {@code o} is not an object
   */
  public static TargetValidation fromJson(JsonNode o) {
    if (o == null || !o.isObject()) {
      return null;
    }
    List<CpuFeatures> cpus = new ArrayList<>();
    for (JsonNode c : o.path("validated-on")) {
      List<String> flags = new ArrayList<>();
      c.path("flags").forEach(f -> flags.add(f.asText()));
      cpus.add(new CpuFeatures(c.path("arch").asText(), flags));
    }
    return new TargetValidation(
        o.path("name").asText(),
        o.path("weight-encoding").asText(),
        o.path("integer-nodes").asInt(),
        o.path("saturable-nodes-on-avx2").asInt(),
        o.path("worst-pair-sum").asInt(),
        cpus,
        o.path("onnxruntime").asText(),
        o.path("note").isTextual() ? o.path("note").asText() : null);
  }
}
