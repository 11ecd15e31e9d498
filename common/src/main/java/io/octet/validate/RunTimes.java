package io.octet.validate;

import java.io.Serializable;

/**
 * Wall time of the FP32 and the INT8 model over the same batches, summed where validation runs
 * them: each batch runs both models back to back on the same thread, so the two alternate batch by
 * batch under the same load. Sums merge across partitions in any order. A task's first batch is
 * left out: it pays for a cold session and caches.
 */
public final class RunTimes implements Serializable {
  private static final long serialVersionUID = 1L;

  private long fp32Nanos;
  private long int8Nanos;
  private long rows;
  private long batches;

  /**
   * Adds one batch.
   *
   * @param fp32 nanoseconds the FP32 model took
   * @param int8 nanoseconds the INT8 model took
   * @param batchRows rows in the batch
   */
  public void add(long fp32, long int8, int batchRows) {
    if (fp32 < 0 || int8 < 0 || batchRows < 1) {
      throw new IllegalArgumentException("times must be >= 0 and a batch must have rows");
    }
    fp32Nanos += fp32;
    int8Nanos += int8;
    rows += batchRows;
    batches++;
  }

  /**
   * Adds another's sums to this one.
   *
   * @param other another partition's times
   */
  public void merge(RunTimes other) {
    fp32Nanos += other.fp32Nanos;
    int8Nanos += other.int8Nanos;
    rows += other.rows;
    batches += other.batches;
  }

  /**
   * Returns the batches timed.
   *
   * @return batch count
   */
  public long batches() {
    return batches;
  }

  /**
   * Returns whether enough was timed for {@link #comparison()} to mean something: below a second or
   * two of summed FP32 time (small models, few rows) one GC pause or a neighbour's burst moves the
   * ratio by a factor.
   *
   * @param minFp32Millis least FP32 time summed over the timed batches
   * @return whether the sums reach it
   */
  public boolean enough(double minFp32Millis) {
    return batches > 0 && fp32Nanos > 0 && int8Nanos > 0 && fp32Nanos / 1e6 >= minFp32Millis;
  }

  /**
   * The latency comparison these times make, or null when no batch was timed.
   *
   * @return milliseconds per row of both models ({@code rounds} holds the batches timed)
   */
  public Latency.Comparison comparison() {
    if (rows == 0 || fp32Nanos == 0 || int8Nanos == 0) {
      return null;
    }
    return new Latency.Comparison(
        fp32Nanos / 1e6 / rows, int8Nanos / 1e6 / rows, (int) Math.min(Integer.MAX_VALUE, batches));
  }
}
