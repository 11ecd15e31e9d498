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
  /** Shortest round, in milliseconds, before batches are repeated within a round. */
  static final double MIN_ROUND_MS = 200;

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
    double warm = Math.min(runAll(a, batches, 1), runAll(b, batches, 1));
    // A round must be long enough for the clock and for the noise of a shared machine to
    // average out: small models repeat their batches until a round takes about 200 ms.
    int reps = (int) Math.max(1, Math.min(1000, Math.ceil(MIN_ROUND_MS / Math.max(warm, 1e-3))));
    double[] ta = new double[rounds];
    double[] tb = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      ta[r] = runAll(a, batches, reps);
      tb[r] = runAll(b, batches, reps);
    }
    return new Comparison(median(ta) / (rows * reps), median(tb) / (rows * reps), rounds);
  }

  private static double runAll(OrtSession s, List<InputBatch> batches, int reps)
      throws OrtException {
    long t0 = System.nanoTime();
    for (int i = 0; i < reps; i++) {
      runOnce(s, batches);
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  private static void runOnce(OrtSession s, List<InputBatch> batches) throws OrtException {
    for (InputBatch batch : batches) {
      try (OrtSession.Result r = s.run(batch.tensorsFor(s.getInputNames()))) {
        if (r.size() == 0) {
          throw new IllegalStateException("Model returned no outputs");
        }
      }
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
