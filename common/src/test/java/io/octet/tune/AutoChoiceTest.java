package io.octet.tune;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.calib.CalibrationMethod;
import io.octet.quant.QuantMode;
import io.octet.validate.Gate;
import io.octet.validate.ValidationMetrics;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rule that picks auto mode's artifact: fastest passing, ties closer to FP32, then smaller. */
class AutoChoiceTest {
  private static final double NAN = Double.NaN;
  private static final Gate GATE = new Gate(0.98, NAN, NAN, NAN, NAN, NAN);

  private static AutoChoice.Scored c(double cos, double speedup, long bytes) {
    ValidationMetrics m =
        new ValidationMetrics(100, cos, cos - 0.01, 20, 0.1, 1, 1, 5, NAN, NAN, 0, 0);
    Recipe r =
        new Recipe(
            Recipe.STATIC_FULL, QuantMode.STATIC, List.of("Conv"), CalibrationMethod.MSE, false);
    return AutoChoice.score(r, m, speedup, bytes, GATE);
  }

  private static int pick(AutoChoice.Scored... s) {
    return AutoChoice.choose(List.of(s), Objective.MEAN_COSINE, 0.05).orElseThrow();
  }

  @Test
  void theFastestPassingCandidateWinsAndAFailingOneNeverDoes() {
    assertThat(pick(c(0.99, 1.5, 10), c(0.995, 1.2, 10), c(0.90, 3.0, 10))).isZero();
  }

  @Test
  void speedupsWithinTheTieMarginGoToTheCloserThenTheSmaller() {
    assertThat(pick(c(0.985, 2.00, 10), c(0.990, 1.96, 10))).isEqualTo(1);
    assertThat(pick(c(0.990, 2.00, 20), c(0.990, 1.96, 10))).isEqualTo(1);
    // Beyond the margin speed wins even when further from FP32.
    assertThat(pick(c(0.985, 2.00, 10), c(0.999, 1.80, 10))).isZero();
  }

  @Test
  void untimedCandidatesAllTieAndWithoutAPassingOneTheClosestIsKept() {
    assertThat(pick(c(0.985, NAN, 10), c(0.990, NAN, 10))).isEqualTo(1);
    assertThat(pick(c(0.90, 3.0, 10), c(0.95, 1.0, 10), c(0.93, 2.0, 10))).isEqualTo(1);
    assertThat(AutoChoice.choose(List.of(), Objective.MEAN_COSINE, 0.05)).isEmpty();
  }

  @Test
  void aLatencyGateCountsTheMeasuredSpeed() {
    Gate noSlower = new Gate(0.98, NAN, NAN, NAN, NAN, 1.0);
    ValidationMetrics m = new ValidationMetrics(100, 0.999, 0.99, 40, 0.1, 1, 1, 5, NAN, NAN, 0, 0);
    Recipe fp16 = new Recipe(Recipe.FP16, QuantMode.FP16, List.of(), null, false);
    assertThat(AutoChoice.score(fp16, m, 0.5, 10, noSlower).passed()).isFalse();
    assertThat(AutoChoice.score(fp16, m, 1.1, 10, noSlower).passed()).isTrue();
  }
}
