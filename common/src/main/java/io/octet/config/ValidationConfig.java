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
 * @param nodeSqnr measure per-node SQNR (sensitivity)
 * @param gate the pass/fail thresholds
 */
public record ValidationConfig(
    String dataset,
    int partitions,
    int batchSize,
    long maxRows,
    ValidationOptions compare,
    int latencyRounds,
    int latencyRows,
    boolean nodeSqnr,
    Gate gate) {
  /** Validates ranges. */
  public ValidationConfig {
    if (partitions < 0 || batchSize < 1 || maxRows < 0 || latencyRounds < 1 || latencyRows < 0) {
      throw new IllegalArgumentException(
          "validation: partitions, max-rows and latency-rows must be >= 0, batch-size and"
              + " latency-rounds >= 1");
    }
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
        c.getBoolean("node-sqnr"),
        Gate.fromConfig(c.getConfig("gate")));
  }
}
