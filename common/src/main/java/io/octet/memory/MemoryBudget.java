package io.octet.memory;

import io.octet.error.QuantErrors;
import java.io.Serializable;

/**
 * The memory one executor JVM (the driver, in local mode) may use, and how it is split.
 *
 * <p>{@code processBytes = heap + JVM overhead + ONNX Runtime sessions + inference batches}. The
 * heap is Spark's; the JVM overhead (metaspace, code, thread stacks, Spark's network buffers) is a
 * fixed allowance; sessions hold model weights; what remains is shared by the batches that run at
 * once, one per task slot, and enforced by {@link NativeMemoryPool}.
 *
 * @param processBytes resident memory the JVM may reach (the container limit on YARN/Kubernetes)
 * @param heapBytes the JVM's maximum heap
 * @param jvmOverheadBytes allowance for the JVM's own native memory
 * @param taskSlots tasks an executor runs at once
 * @param source where {@code processBytes} came from, for messages and reports
 */
public record MemoryBudget(
    long processBytes, long heapBytes, long jvmOverheadBytes, int taskSlots, String source)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The JVM's own native memory beside the heap in an Octet executor: measured 420–560 MiB of
   * resident non-heap memory in local Spark (metaspace, JIT code, thread stacks, Netty), rounded
   * up.
   */
  public static final long DEFAULT_JVM_OVERHEAD = 768L << 20;

  /**
   * Resident memory per byte of model file allowed for an open ONNX Runtime session: the weights,
   * plus the pre-packed copies of MatMul weights that optimized sessions make. An allowance with
   * margin, checked end to end by MemoryBudgetIT and bench/memory (peak resident under budget).
   */
  public static final double SESSION_BYTES_PER_MODEL_BYTE = 1.5;

  /** Validates the parts. */
  public MemoryBudget {
    if (processBytes <= 0) {
      throw new IllegalArgumentException("memory budget must be > 0 bytes, got " + processBytes);
    }
    if (heapBytes < 0 || jvmOverheadBytes < 0) {
      throw new IllegalArgumentException("heap and JVM overhead must be >= 0");
    }
    if (taskSlots < 1) {
      throw new IllegalArgumentException("task slots must be >= 1, got " + taskSlots);
    }
    if (source == null || source.isBlank()) {
      throw new IllegalArgumentException("a memory budget must say where it came from");
    }
  }

  /**
   * Returns what is left for ONNX Runtime (sessions and batches) after heap and JVM overhead.
   *
   * @return bytes, possibly negative when the heap alone takes the whole budget
   */
  public long nativeBytes() {
    return processBytes - heapBytes - jvmOverheadBytes;
  }

  /**
   * Returns the allowance for the sessions an executor keeps open for a model of a given size.
   *
   * @param modelFileBytes the model file's size
   * @param openSessions sessions an executor may keep open ({@code run.executor-sessions})
   * @return bytes
   */
  public static long sessionAllowance(long modelFileBytes, int openSessions) {
    return (long) Math.ceil(SESSION_BYTES_PER_MODEL_BYTE * modelFileBytes * openSessions);
  }

  /**
   * Returns the bytes every batch running at once in an executor may use together, for a model of a
   * given size, or fails when sessions alone fill the budget.
   *
   * @param model the model's name, for the error
   * @param modelFileBytes the model file's size
   * @param openSessions sessions an executor may keep open
   * @return bytes for batches, > 0
   */
  public long batchBytes(String model, long modelFileBytes, int openSessions) {
    long sessions = sessionAllowance(modelFileBytes, openSessions);
    long left = nativeBytes() - sessions;
    if (left <= 0) {
      throw QuantErrors.overBudget(
          model,
          "the heap, the JVM's own memory and "
              + openSessions
              + " open ONNX Runtime sessions of this model ("
              + SESSION_BYTES_PER_MODEL_BYTE
              + " × its "
              + QuantErrors.bytes(modelFileBytes)
              + " each)",
          heapBytes + jvmOverheadBytes + sessions,
          describe());
    }
    return left;
  }

  /**
   * Returns the share of one batch, when every task slot runs one.
   *
   * @param batchBytes {@link #batchBytes}
   * @return bytes
   */
  public long perTaskBytes(long batchBytes) {
    return Math.max(1, batchBytes / taskSlots);
  }

  /**
   * Describes the budget for logs, errors and the run summary.
   *
   * @return e.g. "17.25 GiB per executor (75% of this machine's memory): heap 6.00 GiB, ..."
   */
  public String describe() {
    return QuantErrors.bytes(processBytes)
        + " per executor ("
        + source
        + "): heap "
        + QuantErrors.bytes(heapBytes)
        + ", JVM overhead "
        + QuantErrors.bytes(jvmOverheadBytes)
        + ", ONNX Runtime "
        + QuantErrors.bytes(Math.max(0, nativeBytes()))
        + " over "
        + taskSlots
        + " task slot"
        + (taskSlots == 1 ? "" : "s");
  }
}
