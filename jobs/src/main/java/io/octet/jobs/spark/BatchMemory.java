package io.octet.jobs.spark;

import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.memory.ActivationFootprint;
import io.octet.memory.NativeMemoryPool;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.BiConsumer;

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
   * Runs rows of one shape in batches that fit one task slot's share, each holding its estimate in
   * this JVM's pool while it runs (waiting while other batches hold too much).
   *
   * @param rowsOfOneShape rows of equal input shapes, at most the configured batch size
   * @param f the footprint to estimate with (a task's corrected copy, or {@link #footprint})
   * @param returned the tensors each session returns
   * @param sessions sessions that run each batch one after the other, holding their outputs
   * @param model the model's name, for errors
   * @param kind what the batches are for ("calibration", "validation"), for errors
   * @param run runs one batch
   */
  public void forEachBatch(
      List<Sample> rowsOfOneShape,
      ActivationFootprint f,
      Collection<String> returned,
      int sessions,
      String model,
      String kind,
      BiConsumer<List<Sample>, Long> run) {
    long d = dynamicDim(rowsOfOneShape.get(0));
    int at = 0;
    while (at < rowsOfOneShape.size()) {
      // Re-planned per batch: the footprint may have grown with what the last batch measured.
      long perRow = sessions * f.rowBytes(returned, d);
      int fit = (int) Math.min(rowsOfOneShape.size() - at, shareBytes / Math.max(1, perRow));
      int n = Math.max(1, fit);
      String what =
          "a " + kind + " batch of " + n + (n == 1 ? " row" : " rows") + " at input dimension " + d;
      try (NativeMemoryPool.Reservation r =
          NativeMemoryPool.jvm().reserve(n * perRow, capacityBytes, model, what, budget)) {
        run.accept(rowsOfOneShape.subList(at, at + n), d);
      }
      at += n;
    }
  }

  /**
   * Returns a row's largest input dimension ({@link ActivationFootprint#dynamicDim}).
   *
   * @param s the row
   * @return the dimension
   */
  public static long dynamicDim(Sample s) {
    List<long[]> shapes = new ArrayList<>();
    for (TensorValue v : s.inputs().values()) {
      shapes.add(v.shape());
    }
    return ActivationFootprint.dynamicDim(shapes);
  }
}
