package io.octet.tune;

import io.octet.validate.Gate;
import io.octet.validate.ValidationMetrics;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Picks auto mode's artifact from scored candidates: the fastest that passes the gate; candidates
 * within {@code speedTie} of the fastest tie, and ties go to the one closer to FP32, then the
 * smaller. When none passes, the closest to FP32 is kept (it is published, not promoted).
 */
public final class AutoChoice {
  private AutoChoice() {}

  /**
   * One candidate's measurements on the sample.
   *
   * @param recipe the recipe
   * @param metrics fidelity against FP32 on the sample
   * @param speedup FP32 time / candidate time (NaN when not timed)
   * @param bytes the candidate model's size
   * @param verdict the gate's verdict on the sample
   */
  public record Scored(
      Recipe recipe, ValidationMetrics metrics, double speedup, long bytes, Gate.Verdict verdict) {
    /**
     * Whether the candidate passed the gate on the sample.
     *
     * @return true when it passed
     */
    public boolean passed() {
      return verdict.passed();
    }
  }

  /**
   * Scores a candidate against the gate (latency included when measured).
   *
   * @param recipe the recipe
   * @param metrics its metrics on the sample
   * @param speedup its speedup (NaN when not timed)
   * @param bytes its size
   * @param gate the gate
   * @return the scored candidate
   */
  public static Scored score(
      Recipe recipe, ValidationMetrics metrics, double speedup, long bytes, Gate gate) {
    double ratio = Double.isFinite(speedup) && speedup > 0 ? 1 / speedup : Double.NaN;
    return new Scored(recipe, metrics, speedup, bytes, gate.evaluate(metrics, ratio));
  }

  /**
   * The index of the candidate to publish.
   *
   * @param scored the candidates
   * @param objective how closeness to FP32 is measured
   * @param speedTie the fraction within which speedups tie
   * @return the chosen index, or empty when the list is empty
   */
  public static Optional<Integer> choose(
      List<Scored> scored, Objective objective, double speedTie) {
    if (scored.isEmpty()) {
      return Optional.empty();
    }
    Comparator<Integer> closer =
        Comparator.comparingDouble(
                (Integer i) -> finiteOr(objective.value(scored.get(i).metrics())))
            .reversed()
            .thenComparingLong(i -> scored.get(i).bytes());
    List<Integer> passing =
        java.util.stream.IntStream.range(0, scored.size())
            .filter(i -> scored.get(i).passed())
            .boxed()
            .toList();
    if (passing.isEmpty()) {
      return java.util.stream.IntStream.range(0, scored.size()).boxed().min(closer);
    }
    double fastest =
        passing.stream()
            .mapToDouble(i -> scored.get(i).speedup())
            .filter(Double::isFinite)
            .max()
            .orElse(Double.NaN);
    return passing.stream()
        .filter(
            i ->
                Double.isNaN(fastest)
                    || !Double.isFinite(scored.get(i).speedup())
                    || scored.get(i).speedup() >= fastest * (1 - speedTie))
        .min(closer);
  }

  private static double finiteOr(double v) {
    return Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v;
  }
}
