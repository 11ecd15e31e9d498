package io.octet.jobs.spark;

import io.octet.memory.ActivationFootprint;
import io.octet.memory.NativeMemoryPool;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * How a task sizes its inference batches and admits them into the executor's {@link
 * NativeMemoryPool}.
 *
 * @param footprint the model's activation shapes (tasks measure a fresh copy)
 * @param shareBytes what one batch may use (one task slot's share)
 * @param capacityBytes what all batches of an executor may use together
 * @param budget the budget's description, for errors
 */
public record BatchMemory(
    ActivationFootprint footprint, long shareBytes, long capacityBytes, String budget)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * A plan without a budget (tests and benchmarks that measure without one).
   *
   * @param tensors the tensors a session returns
   * @return batches of up to the configured size, never waiting
   */
  public static BatchMemory unbounded(Collection<String> tensors) {
    List<ActivationFootprint.TensorShape> shapes = new ArrayList<>();
    for (String t : tensors) {
      shapes.add(new ActivationFootprint.TensorShape(t, new long[0], new boolean[0], 1, 4));
    }
    long huge = Long.MAX_VALUE / 4;
    return new BatchMemory(new ActivationFootprint(shapes), huge, huge, "no budget");
  }

  /**
   * Reserves memory for a batch in this JVM's pool.
   *
   * @param bytes the batch's estimate
   * @param model the model's name, for errors
   * @param what the batch, for errors
   * @return the reservation; close it when the batch's tensors are closed
   */
  public NativeMemoryPool.Reservation reserve(long bytes, String model, String what) {
    return NativeMemoryPool.jvm().reserve(bytes, capacityBytes, model, what, budget);
  }
}
