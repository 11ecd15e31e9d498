package io.octet.validate;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.runtime.InputBatch;
import java.util.Arrays;
import java.util.List;

/**
 * Measures two sessions side by side on the same batches and threads.
 *
 * <p>The runs alternate (A, B, A, B, ...) so that load from other processes on a shared machine
 * hits both alike, and the figure is the median over rounds: ratios taken this way are stable where
 * absolute times are not.
 */
public final class Latency {
  private Latency() {}

  /**
   * Latency of two models.
   *
   * @param msPerRowA median milliseconds per row of the first session
   * @param msPerRowB median milliseconds per row of the second session
   * @param rounds rounds measured
   */
  public record Comparison(double msPerRowA, double msPerRowB, int rounds) {
    /**
     * Returns B's latency relative to A's (below 1 means B is faster).
     *
     * @return msPerRowB / msPerRowA
     */
    public double ratio() {
      return msPerRowB / msPerRowA;
    }

    /**
     * Returns how many times faster B is than A.
     *
     * @return msPerRowA / msPerRowB
     */
    public double speedup() {
      return msPerRowA / msPerRowB;
    }
  }

  /**
   * Times both sessions over all batches per round, alternating, after one warm-up round.
   *
   * @param a the reference session (FP32)
   * @param b the session under test (INT8)
   * @param batches the inputs
   * @param rounds rounds to measure (at least 1)
   * @return the comparison
   * @throws OrtException if a run fails
   */
  public static Comparison compare(OrtSession a, OrtSession b, List<InputBatch> batches, int rounds)
      throws OrtException {
    if (rounds < 1 || batches.isEmpty()) {
      throw new IllegalArgumentException("Need at least one round and one batch");
    }
    long rows = batches.stream().mapToLong(InputBatch::size).sum();
    runAll(a, batches);
    runAll(b, batches);
    double[] ta = new double[rounds];
    double[] tb = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      ta[r] = runAll(a, batches);
      tb[r] = runAll(b, batches);
    }
    return new Comparison(median(ta) / rows, median(tb) / rows, rounds);
  }

  private static double runAll(OrtSession s, List<InputBatch> batches) throws OrtException {
    long t0 = System.nanoTime();
    for (InputBatch batch : batches) {
      try (OrtSession.Result r = s.run(batch.tensorsFor(s.getInputNames()))) {
        if (r.size() == 0) {
          throw new IllegalStateException("Model returned no outputs");
        }
      }
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
