package io.octet.config;

import com.typesafe.config.Config;

/**
 * The {@code calibration} section of a model.
 *
 * @param dataset URI of the calibration Parquet data, or null (not needed by every mode)
 * @param partitions Spark partitions (0 = default parallelism)
 * @param numBins histogram bins per tensor (power of two, 128..65536)
 * @param batchSize rows per inference batch
 * @param maxRows use at most this many rows (0 = all)
 * @param batchMemory bytes the activations one calibration batch returns may take (fewer rows per
 *     batch, down to one; 0 = only {@code run.memory-budget} limits them)
 */
public record CalibrationConfig(
    String dataset, int partitions, int numBins, int batchSize, long maxRows, long batchMemory) {
  /** Validates ranges. */
  public CalibrationConfig {
    if (partitions < 0) {
      throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
    }
    if (numBins < 128 || numBins > 65536 || Integer.bitCount(numBins) != 1) {
      throw new IllegalArgumentException(
          "num-bins must be a power of two in [128, 65536], got " + numBins);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch-size must be >= 1, got " + batchSize);
    }
    if (maxRows < 0) {
      throw new IllegalArgumentException("max-rows must be >= 0, got " + maxRows);
    }
    if (batchMemory < 0) {
      throw new IllegalArgumentException("batch-memory must be >= 0 bytes, got " + batchMemory);
    }
  }

  /**
   * Reads the section.
   *
   * @param c the calibration section, merged with defaults
   * @return the record
   */
  public static CalibrationConfig fromConfig(Config c) {
    return new CalibrationConfig(
        c.getIsNull("dataset") ? null : c.getString("dataset"),
        c.getInt("partitions"),
        c.getInt("num-bins"),
        c.getInt("batch-size"),
        c.getLong("max-rows"),
        c.getBytes("batch-memory"));
  }
}
