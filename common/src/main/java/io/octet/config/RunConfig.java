package io.octet.config;

import com.typesafe.config.Config;

/**
 * Run-wide settings (the {@code run} section).
 *
 * @param parallelModels models processed at the same time
 * @param force re-quantize models whose inputs are unchanged
 * @param failOnModelError exit non-zero when a model fails or misses its gate
 * @param datasetFingerprint "content" or "listing"
 * @param scratchDir local scratch directory
 * @param executorSessions ONNX Runtime sessions an executor JVM keeps open between tasks
 * @param gcGrace how old unpublished leftovers must be before {@code bin/octet gc} removes them
 * @param memoryBudgetBytes resident memory each executor JVM may reach; 0 = derived from Spark's
 *     settings and the machine (see reference.conf)
 */
public record RunConfig(
    int parallelModels,
    boolean force,
    boolean failOnModelError,
    String datasetFingerprint,
    String scratchDir,
    int executorSessions,
    java.time.Duration gcGrace,
    long memoryBudgetBytes) {
  /** Validates ranges. */
  public RunConfig {
    if (memoryBudgetBytes < 0) {
      throw new IllegalArgumentException(
          "run.memory-budget must be auto or a size like 12g, got " + memoryBudgetBytes);
    }
    if (executorSessions < 1) {
      throw new IllegalArgumentException(
          "run.executor-sessions must be >= 1, got " + executorSessions);
    }
    if (gcGrace == null || gcGrace.isNegative()) {
      throw new IllegalArgumentException("run.gc-grace must be a duration >= 0, got " + gcGrace);
    }
    if (parallelModels < 1) {
      throw new IllegalArgumentException("run.parallel-models must be >= 1, got " + parallelModels);
    }
    if (!datasetFingerprint.equals("content") && !datasetFingerprint.equals("listing")) {
      throw new IllegalArgumentException(
          "run.dataset-fingerprint must be content or listing, got " + datasetFingerprint);
    }
  }

  /**
   * Reads the section.
   *
   * @param c the run section
   * @return the record
   */
  public static RunConfig fromConfig(Config c) {
    return new RunConfig(
        c.getInt("parallel-models"),
        c.getBoolean("force"),
        c.getBoolean("fail-on-model-error"),
        c.getString("dataset-fingerprint"),
        c.getString("scratch-dir").isEmpty()
            ? System.getProperty("java.io.tmpdir")
            : c.getString("scratch-dir"),
        c.getInt("executor-sessions"),
        c.getDuration("gc-grace"),
        memoryBudget(c));
  }

  private static long memoryBudget(Config c) {
    if (c.getValue("memory-budget").unwrapped() instanceof String s
        && s.trim().equalsIgnoreCase("auto")) {
      return 0;
    }
    long bytes = c.getBytes("memory-budget");
    if (bytes <= 0) {
      // A BadValue carries the value's origin, so the error names the --set, variable or file.
      throw new com.typesafe.config.ConfigException.BadValue(
          c.getValue("memory-budget").origin(),
          "memory-budget",
          "must be auto or a size above 0 like 12g, got " + bytes + " bytes");
    }
    return bytes;
  }
}
