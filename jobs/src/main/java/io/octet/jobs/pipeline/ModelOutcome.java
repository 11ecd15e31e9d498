package io.octet.jobs.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.jobs.validate.ValidationOutcome;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One model's result in a run, as it goes into the run summary.
 *
 * @param name model name
 * @param version version
 * @param status passed, gate-failed, failed or skipped
 * @param mode quantization mode
 * @param method calibration method (static mode), else null
 * @param error what failed, or null
 * @param stages per-stage timings and row counts
 * @param validation the validation outcome, or null
 * @param fp32Bytes FP32 model size
 * @param artifacts artifact paths relative to the warehouse (empty when not published)
 * @param config the resolved model config (redacted)
 * @param gate the gate thresholds
 * @param latestMoved whether {@code latest} now points at this run
 * @param note a human-readable note (why skipped, etc.)
 * @param tuning the tuning record (tuning.json), or null when tuning did not run
 * @param auto auto mode's record (auto.json: every candidate and the chosen recipe), or null
 * @param warnings what looked wrong but did not fail the model (suspicious data, capped settings)
 */
public record ModelOutcome(
    String name,
    String version,
    String status,
    String mode,
    String method,
    Error error,
    Map<String, Stage> stages,
    ValidationOutcome validation,
    long fp32Bytes,
    Map<String, String> artifacts,
    JsonNode config,
    io.octet.validate.Gate gate,
    boolean latestMoved,
    String note,
    JsonNode tuning,
    JsonNode auto,
    java.util.List<String> warnings) {

  /** Status of a model that passed its gate and was promoted. */
  public static final String PASSED = "passed";

  /** Status of a model that was published but missed its gate (not promoted). */
  public static final String GATE_FAILED = "gate-failed";

  /** Status of a model whose run failed. */
  public static final String FAILED = "failed";

  /** Status of a model whose inputs were unchanged since the last promoted run. */
  public static final String SKIPPED = "skipped";

  /** Copies the maps, keeping order. */
  public ModelOutcome {
    stages = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stages));
    artifacts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(artifacts));
    warnings = warnings == null ? java.util.List.of() : java.util.List.copyOf(warnings);
  }

  /**
   * A failure.
   *
   * @param kind the QuantException kind, or INTERNAL
   * @param stage the stage it happened in
   * @param message the user-facing message
   */
  public record Error(String kind, String stage, String message) {}

  /**
   * A stage's timing.
   *
   * @param seconds wall time
   * @param rows rows processed, or -1
   */
  public record Stage(double seconds, long rows) {}

  /**
   * Whether this outcome counts as success for the exit code.
   *
   * @return true for passed and skipped
   */
  public boolean ok() {
    return status.equals(PASSED) || status.equals(SKIPPED);
  }
}
