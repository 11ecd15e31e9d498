package io.octet.config;

import com.typesafe.config.Config;
import io.octet.validate.Gate;
import io.octet.validate.ValidationOptions;

/**
 * The {@code validation} section of a model.
 *
 * @param dataset URI of the held-out Parquet data
 * @param partitions Spark partitions (0 = default parallelism)
 * @param batchSize rows per inference batch
 * @param maxRows use at most this many rows (0 = all)
 * @param compare what to compare and how
 * @param latencySource where latency is measured: {@code tasks} (the comparison pass itself, FP32
 *     and INT8 alternating batch by batch in the executors) or {@code driver} (a separate timed
 *     comparison on the driver)
 * @param latencyMinTaskMillis least FP32 time the comparison pass must sum for its timing to count;
 *     below it the driver measures
 * @param latencyRounds rounds of the driver's latency comparison
 * @param latencyRows rows used for the driver's latency comparison (0 = no latency either way)
 * @param latencyThreads intra-op threads for the driver's latency comparison
 * @param nodeSqnrRows rows per partition used for per-node SQNR (0 = off)
 * @param nodeSqnrWhen when per-node SQNR is measured: {@code gate-failed} (a second, short pass
 *     after the gate failed) or {@code always} (in the comparison pass)
 * @param gate the pass/fail thresholds
 * @param requireTargetCpu fail the gate when the validating CPUs cannot show the arithmetic of the
 *     quantization target's kernels
 */
public record ValidationConfig(
    String dataset,
    int partitions,
    int batchSize,
    long maxRows,
    ValidationOptions compare,
    String latencySource,
    long latencyMinTaskMillis,
    int latencyRounds,
    int latencyRows,
    int latencyThreads,
    int nodeSqnrRows,
    String nodeSqnrWhen,
    Gate gate,
    boolean requireTargetCpu)
    implements java.io.Serializable {
  /** Validates ranges. */
  public ValidationConfig {
    if (partitions < 0
        || batchSize < 1
        || maxRows < 0
        || latencyRounds < 1
        || latencyRows < 0
        || latencyThreads < 1
        || nodeSqnrRows < 0
        || latencyMinTaskMillis < 0) {
      throw new IllegalArgumentException(
          "validation: partitions, max-rows, latency-rows, latency-min-task-time and"
              + " node-sqnr-rows must be >= 0,"
              + " batch-size, latency-rounds and latency-threads >= 1");
    }
    if (!NODE_SQNR_WHEN.contains(nodeSqnrWhen)) {
      throw new IllegalArgumentException(
          "validation.node-sqnr-when: '" + nodeSqnrWhen + "' is none of " + NODE_SQNR_WHEN);
    }
    if (!LATENCY_SOURCES.contains(latencySource)) {
      throw new IllegalArgumentException(
          "validation.latency-source: '" + latencySource + "' is none of " + LATENCY_SOURCES);
    }
  }

  /** When per-node SQNR can be measured. */
  public static final java.util.List<String> NODE_SQNR_WHEN =
      java.util.List.of("gate-failed", "always");

  /** Where latency can be measured. */
  public static final java.util.List<String> LATENCY_SOURCES = java.util.List.of("tasks", "driver");

  /**
   * Returns true when latency comes from the comparison pass in the executors.
   *
   * @return whether latency-source is tasks and latency is measured at all
   */
  public boolean latencyInTasks() {
    return latencyRows > 0 && latencySource.equals("tasks");
  }

  /**
   * Returns a copy with another gate.
   *
   * @param g the gate
   * @return the copy
   */
  public ValidationConfig withGate(Gate g) {
    return new ValidationConfig(
        dataset,
        partitions,
        batchSize,
        maxRows,
        compare,
        latencySource,
        latencyMinTaskMillis,
        latencyRounds,
        latencyRows,
        latencyThreads,
        nodeSqnrRows,
        nodeSqnrWhen,
        g,
        requireTargetCpu);
  }

  /**
   * Reads the section.
   *
   * @param c the validation section, merged with defaults
   * @return the record
   */
  public static ValidationConfig fromConfig(Config c) {
    return new ValidationConfig(
        c.getIsNull("dataset") ? null : c.getString("dataset"),
        c.getInt("partitions"),
        c.getInt("batch-size"),
        c.getLong("max-rows"),
        ValidationOptions.fromConfig(c),
        c.getString("latency-source"),
        c.getDuration("latency-min-task-time", java.util.concurrent.TimeUnit.MILLISECONDS),
        c.getInt("latency-rounds"),
        c.getInt("latency-rows"),
        c.getInt("latency-threads"),
        c.getInt("node-sqnr-rows"),
        c.getString("node-sqnr-when"),
        Gate.fromConfig(c.getConfig("gate")),
        c.getBoolean("require-target-cpu"));
  }
}
