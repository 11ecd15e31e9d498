package io.octet.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model's entry in a run summary. Sections the pipeline did not reach are null (a failed model
 * has no metrics, latency, size or artifacts); numbers that were not measured are NaN.
 *
 * @param name the model's registry name
 * @param version its version label
 * @param status the outcome
 * @param mode the quantization mode ("static", "dynamic", ...), or null
 * @param method the calibration method ("mse", ...), or null
 * @param error what failed, or null
 * @param stages wall time per stage, in run order, by stage name
 * @param metrics FP32-versus-INT8 fidelity, or null
 * @param latency per-row latency, or null
 * @param size model sizes, or null
 * @param gate the gate's verdict, or null
 * @param nodeSqnr SQNR of each quantized node's output, in graph order (empty when not measured)
 * @param artifacts where the published files are, or null
 * @param config the resolved config flattened to dotted keys, secrets already masked
 * @param latestMoved whether the {@code latest} pointer moved to this run, or null
 * @param tuning what accuracy-aware tuning did, or null
 * @param target the artifact's CPU target and the CPUs that validated it, or null
 * @param auto what auto mode's search scored and chose, or null
 */
public record ModelResult(
    String name,
    String version,
    ModelStatus status,
    String mode,
    String method,
    Failure error,
    Map<String, Stage> stages,
    Fidelity metrics,
    Latency latency,
    Size size,
    GateOutcome gate,
    List<NodeSqnr> nodeSqnr,
    Artifacts artifacts,
    Map<String, String> config,
    Boolean latestMoved,
    Tuning tuning,
    io.octet.cpu.TargetValidation target,
    Auto auto) {

  /** Copies collections, keeping order; null collections become empty. */
  public ModelResult {
    name = name == null ? "" : name;
    version = version == null ? "" : version;
    status = status == null ? ModelStatus.UNKNOWN : status;
    stages = copy(stages);
    nodeSqnr = nodeSqnr == null ? List.of() : List.copyOf(nodeSqnr);
    config = copy(config);
  }

  private static <V> Map<String, V> copy(Map<String, V> m) {
    return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  /**
   * Returns the name and version as one label.
   *
   * @return e.g. "minilm v1"
   */
  public String label() {
    return version.isEmpty() ? name : name + " v" + version;
  }

  /**
   * Returns the total of the stage times.
   *
   * @return seconds, 0 when no stage ran
   */
  public double totalSeconds() {
    double s = 0;
    for (Stage st : stages.values()) {
      if (!Double.isNaN(st.seconds())) {
        s += st.seconds();
      }
    }
    return s;
  }

  /**
   * Why a model failed.
   *
   * @param kind the error kind ("BAD_DATA", ...), or null
   * @param stage the stage that failed, or null
   * @param message the user-facing message
   */
  public record Failure(String kind, String stage, String message) {}

  /**
   * One stage's cost.
   *
   * @param seconds wall time in seconds, or NaN
   * @param rows rows processed, or -1 when not reported
   */
  public record Stage(double seconds, long rows) {}

  /**
   * INT8 and FP32 latency, measured side by side.
   *
   * @param fp32MsPerRow FP32 milliseconds per row, or NaN
   * @param int8MsPerRow INT8 milliseconds per row, or NaN
   * @param speedup FP32 time over INT8 time, or NaN
   */
  public record Latency(double fp32MsPerRow, double int8MsPerRow, double speedup) {
    /**
     * Returns INT8 latency relative to FP32 (below 1 is faster), from the speedup when the per-row
     * times are missing.
     *
     * @return int8 / fp32, or NaN
     */
    public double ratio() {
      if (fp32MsPerRow > 0 && !Double.isNaN(int8MsPerRow)) {
        return int8MsPerRow / fp32MsPerRow;
      }
      return speedup > 0 ? 1.0 / speedup : Double.NaN;
    }
  }

  /**
   * Model file sizes.
   *
   * @param fp32Bytes FP32 model bytes, or -1
   * @param int8Bytes INT8 model bytes, or -1
   */
  public record Size(long fp32Bytes, long int8Bytes) {}

  /**
   * The gate's verdict and the thresholds it checked.
   *
   * @param passed whether it passed, or null when unknown
   * @param failures one line per threshold that did not hold
   * @param thresholds configured thresholds by config key ("min-mean-cosine", ...); unset ones are
   *     left out
   */
  public record GateOutcome(Boolean passed, List<String> failures, Map<String, Double> thresholds) {
    /** Copies the collections, keeping order. */
    public GateOutcome {
      failures = failures == null ? List.of() : List.copyOf(failures);
      thresholds = copy(thresholds);
    }
  }

  /**
   * Sensitivity of one quantized node: SQNR of its output, FP32 versus INT8.
   *
   * @param node the node name
   * @param op its operator type
   * @param output the output tensor measured
   * @param sqnrDb 10·log10(signal / noise) in dB, or NaN
   */
  public record NodeSqnr(String node, String op, String output, double sqnrDb) {}

  /**
   * Published files, as paths relative to the warehouse root.
   *
   * @param prefix the run's artifact directory ("minilm/1/run-id/"), or null
   * @param model the INT8 model, or null
   * @param calibration the calibration table, or null
   * @param report the model's report page, or null
   * @param manifest the manifest, or null
   */
  public record Artifacts(
      String prefix, String model, String calibration, String report, String manifest) {}

  /**
   * What accuracy-aware tuning did, when it ran.
   *
   * @param objective the metric it maximized
   * @param base the starting point chosen ("plain" or SmoothQuant)
   * @param fp32Nodes nodes kept in FP32
   * @param passedOnSample whether the chosen model met the gate on the tuning sample
   * @param trials every candidate measured, in order
   */
  public record Tuning(
      String objective,
      String base,
      List<String> fp32Nodes,
      boolean passedOnSample,
      List<TuningTrial> trials) {}

  /**
   * One tuning candidate.
   *
   * @param step the search step
   * @param candidate what differs from the baseline
   * @param fp32Nodes how many nodes it keeps in FP32
   * @param objective its metric on the tuning sample
   * @param passed whether it met the gate
   * @param speedup its speed over FP32 (NaN when not timed)
   */
  public record TuningTrial(
      String step,
      String candidate,
      int fp32Nodes,
      double objective,
      boolean passed,
      double speedup) {}

  /**
   * What auto mode's search did.
   *
   * @param objective the metric "closer to FP32" is measured by
   * @param chosen the chosen recipe's label
   * @param passedOnSample whether the chosen candidate met the gate on the sample
   * @param sampleRows validation rows every candidate was scored on
   * @param timedOn the CPU the candidates were timed on (arch and flags), or ""
   * @param fp32Bytes the FP32 model's size
   * @param candidates every candidate, in the order scored
   */
  public record Auto(
      String objective,
      String chosen,
      boolean passedOnSample,
      long sampleRows,
      String timedOn,
      long fp32Bytes,
      List<AutoCandidate> candidates) {
    /** Copies the list. */
    public Auto {
      candidates = candidates == null ? List.of() : List.copyOf(candidates);
    }
  }

  /**
   * One of auto mode's candidates.
   *
   * @param label the recipe, e.g. static-transformer/mse+emb8
   * @param mode its quantization mode
   * @param objective its metric on the sample (NaN when not scored)
   * @param meanCosine its mean cosine to FP32 on the sample
   * @param minCosine its worst row's cosine
   * @param accuracyDropPoints FP32 − candidate accuracy in points (NaN without labels)
   * @param speedup its speed over FP32 (NaN when not timed)
   * @param bytes its size (-1 when unknown)
   * @param passed whether it met the gate on the sample
   * @param chosen whether it was published
   * @param error why it could not be built, or null
   */
  public record AutoCandidate(
      String label,
      String mode,
      double objective,
      double meanCosine,
      double minCosine,
      double accuracyDropPoints,
      double speedup,
      long bytes,
      boolean passed,
      boolean chosen,
      String error) {}
}
