package io.octet.validate;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class GateTest {
  private static final double NAN = Double.NaN;

  private static ValidationMetrics metrics(
      double meanCos, double minCos, double sqnr, double top1, double fp32Acc, double int8Acc) {
    return new ValidationMetrics(
        100,
        meanCos,
        minCos,
        sqnr,
        0.1,
        top1,
        1.0,
        5,
        fp32Acc,
        int8Acc,
        Double.isNaN(fp32Acc) ? 0 : 100,
        0);
  }

  @Test
  void passesWhenEveryThresholdHoldsAndNamesEachThatDoesNot() {
    Gate gate = new Gate(0.99, 0.95, 20, 0.5, 0.98, 1.0);
    ValidationMetrics good = metrics(0.995, 0.97, 25, 0.99, 0.98, 0.978);

    assertThat(gate.evaluate(good, 0.6))
        .as("all good")
        .isEqualTo(new Gate.Verdict(true, java.util.List.of()));

    Gate.Verdict bad = gate.evaluate(metrics(0.98, 0.90, 15, 0.97, 0.98, 0.96), 1.2);
    assertThat(bad.passed()).isFalse();
    assertThat(bad.failures())
        .containsExactly(
            "mean cosine 0.98000 < 0.99000 required",
            "min cosine 0.90000 < 0.95000 required",
            "SQNR dB 15.00000 < 20.00000 required",
            "top-1 agreement 0.97000 < 0.98000 required",
            "accuracy drop 2.00 points > 0.50 allowed",
            "latency ratio 1.200 > 1.000 allowed");
  }

  @Test
  void boundaryValuesPassAndNanMetricsFailACheckedThreshold() {
    Gate gate = new Gate(0.99, NAN, NAN, NAN, NAN, NAN);
    assertThat(gate.evaluate(metrics(0.99, 0, 0, 0, NAN, NAN), NAN).passed())
        .as("exactly at the threshold")
        .isTrue();
    assertThat(gate.evaluate(metrics(NAN, 0, 0, 0, NAN, NAN), NAN).failures())
        .as("an undefined metric does not pass a gate on it")
        .containsExactly("mean cosine NaN < 0.99000 required");
  }

  @Test
  void accuracyGateWithoutLabelsFailsAndUnmeasuredLatencyIsNotChecked() {
    Gate gate = new Gate(NAN, NAN, NAN, 1.0, NAN, 1.0);
    Gate.Verdict v = gate.evaluate(metrics(1, 1, 40, 1, NAN, NAN), NAN);
    assertThat(v.failures())
        .containsExactly("accuracy drop is gated but the validation data has no labels");
    assertThat(Gate.NONE.evaluate(metrics(0, -1, -5, 0, 1, 0), 50).passed())
        .as("NONE checks nothing")
        .isTrue();
  }

  @Test
  void readsThresholdsFromConfigLeavingMissingOnesUnchecked() {
    Gate gate =
        Gate.fromConfig(
            ConfigFactory.parseString("min-mean-cosine = 0.97, max-latency-ratio = 0.8"));
    assertThat(gate.minMeanCosine()).isEqualTo(0.97);
    assertThat(gate.maxLatencyRatio()).isEqualTo(0.8);
    assertThat(gate.minSqnrDb()).isNaN();
    assertThat(gate.maxAccuracyDropPoints()).isNaN();
  }
}
