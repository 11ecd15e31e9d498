package io.octet.memory;

import io.octet.error.QuantErrors;

/**
 * JVM-wide accounting of the native memory inference batches hold, so that tasks running at once
 * (several task slots, several models) never hold more than the budget between them.
 *
 * <p>A task reserves its batch's estimate before running it and releases it after; a reservation
 * that does not fit waits until running batches release theirs. Batches always finish, so waiting
 * cannot deadlock; a single batch larger than the whole capacity fails at once (the caller splits
 * work so that this does not happen). Each caller states the capacity its plan was made for: tasks
 * of models with different session allowances share one pool.
 */
public final class NativeMemoryPool {
  private static final NativeMemoryPool JVM = new NativeMemoryPool();

  private long inUse;
  private long peak;

  /** Creates an empty pool (tests; jobs use {@link #jvm()}). */
  public NativeMemoryPool() {}

  /**
   * Returns the pool of this JVM.
   *
   * @return the pool
   */
  public static NativeMemoryPool jvm() {
    return JVM;
  }

  /** A batch's hold on pool memory; closing it releases the bytes. */
  public final class Reservation implements AutoCloseable {
    private final long bytes;
    private boolean released;

    private Reservation(long bytes) {
      this.bytes = bytes;
    }

    /**
     * Returns the bytes held.
     *
     * @return bytes
     */
    public long bytes() {
      return bytes;
    }

    @Override
    public void close() {
      synchronized (NativeMemoryPool.this) {
        if (!released) {
          released = true;
          inUse -= bytes;
          NativeMemoryPool.this.notifyAll();
        }
      }
    }
  }

  /**
   * Reserves bytes, waiting while other batches hold too much.
   *
   * @param bytes the batch's estimate
   * @param capacity the bytes all batches of this JVM may hold together
   * @param model the model's name, for the error
   * @param what what the bytes are for, for the error
   * @param budget the budget's description, for the error
   * @return the reservation; close it when the batch's tensors are closed
   */
  public synchronized Reservation reserve(
      long bytes, long capacity, String model, String what, String budget) {
    if (bytes < 0 || capacity <= 0) {
      throw new IllegalArgumentException("bytes must be >= 0 and capacity > 0");
    }
    if (bytes > capacity) {
      throw QuantErrors.overBudget(model, what, bytes, budget);
    }
    boolean interrupted = false;
    while (inUse > 0 && inUse + bytes > capacity) {
      try {
        wait();
      } catch (InterruptedException e) {
        // Spark interrupts a killed task: give up the wait and let the task end.
        interrupted = true;
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for memory for " + what);
    }
    inUse += bytes;
    peak = Math.max(peak, inUse);
    return new Reservation(bytes);
  }

  /**
   * Returns the bytes reserved now.
   *
   * @return bytes
   */
  public synchronized long inUse() {
    return inUse;
  }

  /**
   * Returns the most bytes ever reserved at once in this pool.
   *
   * @return bytes
   */
  public synchronized long peak() {
    return peak;
  }
}
