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
 * @param latencyRounds rounds of the FP32/INT8 latency comparison
 * @param latencyRows rows used for latency (0 = skip)
 * @param latencyThreads intra-op threads for the latency comparison
 * @param nodeSqnrRows rows per partition used for per-node SQNR (0 = off)
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
    int latencyRounds,
    int latencyRows,
    int latencyThreads,
    int nodeSqnrRows,
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
        || nodeSqnrRows < 0) {
      throw new IllegalArgumentException(
          "validation: partitions, max-rows, latency-rows and node-sqnr-rows must be >= 0,"
              + " batch-size, latency-rounds and latency-threads >= 1");
    }
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
        latencyRounds,
        latencyRows,
        latencyThreads,
        nodeSqnrRows,
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
        c.getInt("latency-rounds"),
        c.getInt("latency-rows"),
        c.getInt("latency-threads"),
        c.getInt("node-sqnr-rows"),
        Gate.fromConfig(c.getConfig("gate")),
        c.getBoolean("require-target-cpu"));
  }
}
