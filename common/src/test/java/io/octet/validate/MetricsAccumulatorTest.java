package io.octet.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MetricsAccumulatorTest {
  private record Row(float[] fp32, float[] int8, int label) {}

  /** Logit-like rows; INT8 adds small noise, a few rows flip their argmax. */
  private static List<Row> rows(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] a = new float[10];
      float[] b = new float[10];
      for (int k = 0; k < 10; k++) {
        a[k] = (float) (r.nextGaussian() * 3);
        b[k] = a[k] + (float) (r.nextGaussian() * (i % 7 == 0 ? 2.0 : 0.05));
      }
      out.add(new Row(a, b, i % 5 == 0 ? -1 : r.nextInt(10)));
    }
    return out;
  }

  private static MetricsAccumulator accumulate(List<Row> rows) {
    MetricsAccumulator acc = new MetricsAccumulator(3);
    rows.forEach(row -> acc.add(row.fp32, row.int8, row.label));
    return acc;
  }

  @Test
  void mergingRandomPartitionsInAnyOrderGivesIdenticalMetrics() {
    List<Row> rows = rows(1000, 71);
    ValidationMetrics single = accumulate(rows).result();
    Random shuffler = new Random(72);

    for (int trial = 0; trial < 20; trial++) {
      List<Row> shuffled = new ArrayList<>(rows);
      Collections.shuffle(shuffled, shuffler);
      int parts = 1 + shuffler.nextInt(12);
      List<MetricsAccumulator> accs = new ArrayList<>();
      for (int p = 0; p < parts; p++) {
        accs.add(new MetricsAccumulator(3));
      }
      for (Row row : shuffled) {
        accs.get(shuffler.nextInt(parts)).add(row.fp32, row.int8, row.label);
      }
      Collections.shuffle(accs, shuffler);
      // Merge as a random tree: repeatedly merge two random accumulators.
      while (accs.size() > 1) {
        MetricsAccumulator a = accs.remove(shuffler.nextInt(accs.size()));
        MetricsAccumulator b = accs.remove(shuffler.nextInt(accs.size()));
        a.merge(b);
        accs.add(a);
      }
      assertThat(accs.get(0).result())
          .as("trial %s with %s partitions", trial, parts)
          .isEqualTo(single);
    }
    assertThat(single.rows()).isEqualTo(1000);
    assertThat(single.labeledRows()).isEqualTo(800);
    assertThat(single.top1Agreement()).as("noisy rows flip some argmaxes").isBetween(0.8, 0.999);
    assertThat(single.topKAgreement()).isGreaterThanOrEqualTo(single.top1Agreement());
  }

  @Test
  void figuresMatchHandComputedValues() {
    MetricsAccumulator acc = new MetricsAccumulator(2);
    acc.add(new float[] {1, 0, 0}, new float[] {1, 0, 0}, 0);
    acc.add(new float[] {3, 4, 0}, new float[] {4, 3, 0}, 1);

    ValidationMetrics m = acc.result();

    assertThat(m.meanCosine()).as("(1 + 24/25) / 2").isCloseTo(0.98, within(1e-12));
    assertThat(m.minCosine()).isCloseTo(0.96, within(1e-12));
    assertThat(m.sqnrDb()).as("10 log10(26 / 2)").isCloseTo(10 * Math.log10(13), within(1e-12));
    assertThat(m.maxAbsError()).isEqualTo(1.0);
    assertThat(m.top1Agreement()).as("second row flips").isEqualTo(0.5);
    assertThat(m.topKAgreement()).as("but stays in the top 2").isEqualTo(1.0);
    assertThat(m.fp32Accuracy()).isEqualTo(1.0);
    assertThat(m.int8Accuracy()).isEqualTo(0.5);
    assertThat(m.accuracyDropPoints()).isCloseTo(50.0, within(1e-12));
  }

  @Test
  void nonFiniteRowsAreCountedOnEitherSideAndNeverBreakTheSums() {
    MetricsAccumulator acc = new MetricsAccumulator(1);
    acc.add(new float[] {1, 2}, new float[] {1, 2}, -1);
    acc.add(new float[] {1, 2}, new float[] {Float.NaN, 2}, -1);
    acc.add(new float[] {Float.POSITIVE_INFINITY, 2}, new float[] {1, 2}, -1);

    ValidationMetrics m = acc.result();

    assertThat(m.rows()).isEqualTo(3);
    assertThat(m.nonFiniteRows()).isEqualTo(2);
    assertThat(m.meanCosine()).as("finite rows only").isEqualTo(1.0);
    assertThat(m.minCosine()).as("a non-finite row is the worst").isEqualTo(-1.0);
    assertThat(Gate.NONE.evaluate(m, Double.NaN).failures())
        .as("NaN/Inf always fails, even a gate that checks nothing else")
        .containsExactly("2 rows produced NaN/Inf (INT8 or FP32 output)");
  }

  @Test
  void mergingDifferentTopKIsRefused() {
    assertThatThrownBy(() -> new MetricsAccumulator(1).merge(new MetricsAccumulator(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("top-1")
        .hasMessageContaining("top-5");
    assertThatThrownBy(() -> new MetricsAccumulator(1).add(new float[2], new float[3], -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 vs 3");
  }
}
