package io.octet.histogram;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The central invariant: however values are split into calls, accumulators and merges, the result
 * equals single-pass accumulation bit for bit.
 */
class HistogramMergeTest {

  /** Data sets chosen to stress level changes, window moves, sign handling and magnitudes. */
  private static Map<String, float[][]> dataSets(SplittableRandom rnd) {
    Map<String, float[][]> sets = new LinkedHashMap<>();
    sets.put("gaussian", new float[][] {TestData.gaussian(rnd, 20_000, 0.3, 2.0)});
    // Parts with wildly different ranges: a partition that sees one of them alone picks a level
    // dozens of steps finer than the union's.
    sets.put(
        "wildly different ranges per part",
        new float[][] {
          TestData.uniform(rnd, 3000, 0, 1e-3),
          TestData.gaussian(rnd, 3000, 1000, 1),
          TestData.uniform(rnd, 3000, -1e6, -9e5),
          TestData.uniform(rnd, 3000, 1e-30, 2e-30),
          TestData.gaussian(rnd, 3000, 0, 1e-8)
        });
    float[] equal = new float[5000];
    Arrays.fill(equal, 3.75f);
    sets.put("all equal", new float[][] {equal});
    float[] zeros = new float[3000];
    for (int i = 0; i < zeros.length; i++) {
      zeros[i] = (i % 3 == 0) ? -0.0f : 0.0f;
    }
    sets.put("signed zeros", new float[][] {zeros});
    sets.put("negatives only", new float[][] {TestData.uniform(rnd, 10_000, -50, -0.001)});
    float[] tiny = new float[4000];
    for (int i = 0; i < tiny.length; i++) {
      // Subnormals down to the smallest float (2^-149): the finest levels are used.
      tiny[i] = Float.intBitsToFloat(rnd.nextInt(1, 5000)) * (rnd.nextBoolean() ? 1 : -1);
    }
    sets.put("tiny subnormals", new float[][] {tiny});
    sets.put(
        "huge magnitudes",
        new float[][] {
          TestData.uniform(rnd, 4000, -3.4e38, 3.4e38),
          new float[] {Float.MAX_VALUE, -Float.MAX_VALUE}
        });
    float[] withNonFinite = TestData.gaussian(rnd, 8000, -1, 5);
    for (int i = 0; i < 300; i++) {
      int at = rnd.nextInt(withNonFinite.length);
      withNonFinite[at] =
          new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[i % 3];
    }
    sets.put("with NaN and infinities", new float[][] {withNonFinite});
    float[] onlyNonFinite = {Float.NaN, Float.NaN, Float.POSITIVE_INFINITY};
    sets.put("only non-finite", new float[][] {onlyNonFinite});
    return sets;
  }

  @Test
  void anySplitAndMergeTreeEqualsSinglePass() {
    SplittableRandom rnd = new SplittableRandom(42);
    for (int numBins : new int[] {128, 4096}) {
      for (Map.Entry<String, float[][]> e : dataSets(rnd).entrySet()) {
        float[] all = TestData.concat(e.getValue());
        Histogram single = TestData.histogram(numBins, all);
        for (int trial = 0; trial < 8; trial++) {
          float[] shuffled = all.clone();
          // Half the trials keep the parts' ranges apart (partition by source), half shuffle.
          if (trial % 2 == 1) {
            TestData.shuffle(rnd, shuffled);
          }
          Histogram merged = splitAccumulateMerge(rnd, numBins, shuffled);
          String label = e.getKey() + ", B=" + numBins + ", trial " + trial;
          assertThat(merged).as(label).isEqualTo(single);
          assertThat(merged.counts()).as(label + ": counts").containsExactly(single.counts());
          assertThat(merged.hashCode()).as(label + ": hash").isEqualTo(single.hashCode());
        }
      }
    }
  }

  @Test
  void mergeIsCommutativeAndAssociative() {
    SplittableRandom rnd = new SplittableRandom(7);
    Histogram a = TestData.histogram(256, TestData.uniform(rnd, 5000, 0, 1e-3));
    Histogram b = TestData.histogram(256, TestData.gaussian(rnd, 5000, -40, 3));
    Histogram c = TestData.histogram(256, TestData.uniform(rnd, 5000, 7e4, 8e4));
    assertThat(Histogram.merge(a, b)).as("a+b == b+a").isEqualTo(Histogram.merge(b, a));
    assertThat(Histogram.merge(Histogram.merge(a, b), c))
        .as("(a+b)+c == a+(b+c)")
        .isEqualTo(Histogram.merge(a, Histogram.merge(b, c)));
    Histogram empty = Histogram.empty(256);
    assertThat(Histogram.merge(a, empty)).as("empty is the identity").isEqualTo(a);
    assertThat(Histogram.merge(empty, empty)).as("empty + empty").isEqualTo(empty);
  }

  @Test
  void mergingAnAccumulatorIntoItselfDoublesCounts() {
    SplittableRandom rnd = new SplittableRandom(8);
    float[] v = TestData.gaussian(rnd, 1000, 0, 1);
    HistogramAccumulator acc = new HistogramAccumulator(512);
    acc.add(v, 0, v.length);
    acc.merge(acc);
    assertThat(acc.snapshot())
        .as("self merge")
        .isEqualTo(TestData.histogram(512, TestData.concat(v, v)));
  }

  @Test
  void bufferAddLeavesPositionAndMatchesArrayAdd() {
    SplittableRandom rnd = new SplittableRandom(9);
    float[] v = TestData.gaussian(rnd, 50_000, 2, 3);
    v[17] = Float.NaN;
    FloatBuffer direct =
        ByteBuffer.allocateDirect(4 * (v.length + 10))
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer();
    direct.position(5);
    direct.put(v);
    direct.position(5).limit(5 + v.length);
    HistogramAccumulator acc = new HistogramAccumulator(4096);
    acc.add(direct);
    assertThat(direct.position()).as("direct buffer position untouched").isEqualTo(5);
    assertThat(acc.snapshot()).as("direct buffer").isEqualTo(TestData.histogram(4096, v));

    FloatBuffer heap = FloatBuffer.wrap(TestData.concat(new float[3], v), 3, v.length).slice();
    HistogramAccumulator acc2 = new HistogramAccumulator(4096);
    acc2.add(heap.asReadOnlyBuffer());
    acc2.add(heap);
    assertThat(heap.position()).as("heap buffer position untouched").isZero();
    assertThat(acc2.snapshot())
        .as("heap and read-only buffers")
        .isEqualTo(TestData.histogram(4096, TestData.concat(v, v)));
  }

  /** Splits into random parts fed in random chunks, then merges in a random tree. */
  private static Histogram splitAccumulateMerge(SplittableRandom rnd, int numBins, float[] all) {
    int parts = 1 + rnd.nextInt(12);
    int[] cuts = new int[parts + 1];
    for (int i = 1; i < parts; i++) {
      cuts[i] = rnd.nextInt(all.length + 1);
    }
    cuts[parts] = all.length;
    Arrays.sort(cuts);
    List<Object> items = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      HistogramAccumulator acc = new HistogramAccumulator(numBins);
      int at = cuts[p];
      while (at < cuts[p + 1]) {
        int n = Math.min(cuts[p + 1] - at, 1 + rnd.nextInt(2000));
        if (rnd.nextInt(4) == 0) {
          acc.add(FloatBuffer.wrap(all, at, n).asReadOnlyBuffer());
        } else {
          acc.add(all, at, n);
        }
        at += n;
      }
      // Mix the merge flavours: accumulators, snapshots, and accumulators rebuilt from snapshots.
      int flavour = rnd.nextInt(3);
      items.add(
          flavour == 0
              ? acc
              : flavour == 1 ? acc.snapshot() : HistogramAccumulator.from(acc.snapshot()));
    }
    while (items.size() > 1) {
      Object a = items.remove(rnd.nextInt(items.size()));
      Object b = items.remove(rnd.nextInt(items.size()));
      items.add(mergeTwo(rnd, a, b));
    }
    Object root = items.get(0);
    return root instanceof Histogram ? (Histogram) root : ((HistogramAccumulator) root).snapshot();
  }

  private static Object mergeTwo(SplittableRandom rnd, Object a, Object b) {
    if (a instanceof Histogram && b instanceof Histogram && rnd.nextBoolean()) {
      return Histogram.merge((Histogram) a, (Histogram) b);
    }
    HistogramAccumulator target =
        a instanceof HistogramAccumulator
            ? (HistogramAccumulator) a
            : HistogramAccumulator.from((Histogram) a);
    if (b instanceof Histogram) {
      target.merge((Histogram) b);
    } else {
      target.merge((HistogramAccumulator) b);
    }
    return target;
  }
}
