package io.octet.histogram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HistogramTest {

  /** floor(x * 2^-k), computed in exact decimal arithmetic, independent of the code under test. */
  private static BigInteger exactIndex(float x, int k) {
    BigDecimal pow = new BigDecimal(BigInteger.TWO.pow(Math.abs(k)));
    BigDecimal v = new BigDecimal(x);
    BigDecimal scaled = k <= 0 ? v.multiply(pow) : v.divide(pow);
    return scaled.setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
  }

  private static long exactSpan(float min, float max, int k) {
    return exactIndex(max, k).subtract(exactIndex(min, k)).longValueExact() + 1;
  }

  @Test
  void levelIsTheSmallestThatFitsAndCountsAreExact() {
    SplittableRandom rnd = new SplittableRandom(1);
    float[][] sets = {
      TestData.gaussian(rnd, 20_000, 0, 1),
      TestData.uniform(rnd, 20_000, 1000, 1001),
      TestData.uniform(rnd, 20_000, -1e-20, 3e-20),
      TestData.laplace(rnd, 20_000, 1e5),
      {-Float.MAX_VALUE, Float.MAX_VALUE},
      {Float.MIN_VALUE, 2 * Float.MIN_VALUE, 0f}
    };
    for (int numBins : new int[] {128, 1024, 4096, 65536}) {
      for (float[] v : sets) {
        Histogram h = TestData.histogram(numBins, v);
        String label = h.toString();
        // In small calls: every later call moves or keeps the window of the calls before it.
        HistogramAccumulator small = new HistogramAccumulator(numBins);
        for (int at = 0; at < v.length; at += 7) {
          small.add(v, at, Math.min(7, v.length - at));
        }
        assertThat(small.snapshot()).as("added 7 at a time: %s", label).isEqualTo(h);
        assertThat(small.snapshot().counts()).containsExactly(h.counts());
        assertThat(exactSpan(h.min(), h.max(), h.level()))
            .as("span at level k fits: %s", label)
            .isLessThanOrEqualTo(numBins);
        if (h.level() > Histogram.MIN_LEVEL) {
          assertThat(exactSpan(h.min(), h.max(), h.level() - 1))
              .as("span at level k-1 exceeds B: %s", label)
              .isGreaterThan(numBins);
        }
        assertThat(h.spanBins())
            .as("stored bins = span: %s", label)
            .isEqualTo(exactSpan(h.min(), h.max(), h.level()));
        assertThat(Arrays.stream(h.counts()).sum())
            .as("counts sum: %s", label)
            .isEqualTo(h.totalCount())
            .isEqualTo(v.length);
        // Recount every value independently.
        long[] expected = new long[h.spanBins()];
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float x : v) {
          long j = exactIndex(x, h.level()).longValueExact();
          expected[(int) (j - h.firstBin())]++;
          min = Math.min(min, x);
          max = Math.max(max, x);
        }
        assertThat(h.counts()).as("independent recount: %s", label).containsExactly(expected);
        assertThat(h.min()).as("exact min").isEqualTo(min);
        assertThat(h.max()).as("exact max").isEqualTo(max);
      }
    }
  }

  @Test
  void singleDistinctValueUsesTheFinestLevelWithExactEdges() {
    float[] v = new float[100];
    Arrays.fill(v, 3.75f);
    Histogram h = TestData.histogram(4096, v);
    // The span is 1 at every level; bin indices must stay below 2^52 so both edges are exact.
    assertThat(3.75 * Math.scalb(1.0, -h.level())).as("index below 2^52").isLessThan(0x1p52);
    assertThat(3.75 * Math.scalb(1.0, -(h.level() - 1)))
        .as("finer level overflows")
        .isGreaterThanOrEqualTo(0x1p52);
    assertThat(h.binLow(0)).as("low edge").isLessThanOrEqualTo(3.75);
    assertThat(h.binHigh(0)).as("high edge").isGreaterThan(3.75).isGreaterThan(h.binLow(0));

    Histogram zeros = TestData.histogram(128, new float[] {0f, -0.0f, 0f});
    assertThat(zeros.level()).as("zeros use the finest level").isEqualTo(Histogram.MIN_LEVEL);
    assertThat(Float.floatToRawIntBits(zeros.min())).as("min stored as +0.0").isZero();
    assertThat(TestData.histogram(128, new float[] {-0.0f, 0f}))
        .as("signed zeros in either order")
        .isEqualTo(TestData.histogram(128, new float[] {0f, -0.0f}));
  }

  @Test
  void valuesAfterTheFirstCallAreCountedAsInOneCallWhateverTheyAre() {
    // The first call makes the window; each later value falls inside it, outside it, or is not
    // finite, and -0.0 arrives after +0.0 and before it.
    float[] first = {0.5f, 1.5f, 0f, 2.5f};
    float[] later = {
      1f,
      -0.0f,
      Float.NaN,
      2f,
      Float.POSITIVE_INFINITY,
      0.25f,
      -7f,
      Float.NEGATIVE_INFINITY,
      1e6f,
      1.75f,
      Float.NaN,
      -0.0f,
      3f,
      1e-40f
    };
    float[] all = new float[first.length + later.length];
    System.arraycopy(first, 0, all, 0, first.length);
    System.arraycopy(later, 0, all, first.length, later.length);
    for (int numBins : new int[] {128, 4096}) {
      Histogram once = TestData.histogram(numBins, all);
      for (int piece = 1; piece <= later.length; piece++) {
        HistogramAccumulator acc = new HistogramAccumulator(numBins);
        acc.add(first, 0, first.length);
        for (int at = 0; at < later.length; at += piece) {
          acc.add(later, at, Math.min(piece, later.length - at));
        }
        Histogram h = acc.snapshot();
        assertThat(h).as("B=%d, pieces of %d", numBins, piece).isEqualTo(once);
        assertThat(h.counts()).containsExactly(once.counts());
        assertThat(Float.floatToRawIntBits(h.max())).isEqualTo(Float.floatToRawIntBits(1e6f));
      }
    }
    // -0.0 inside the window of earlier positive values becomes the minimum, stored as +0.0.
    HistogramAccumulator zero = new HistogramAccumulator(128);
    zero.add(new float[] {1e-6f, 1f}, 0, 2);
    zero.add(new float[] {-0.0f}, 0, 1);
    assertThat(zero.snapshot()).isEqualTo(TestData.histogram(128, new float[] {1e-6f, 1f, -0.0f}));
    assertThat(Float.floatToRawIntBits(zero.snapshot().min())).isZero();
    // Every value equal and huge: the window sits against the index limit.
    float[] equal = new float[64];
    java.util.Arrays.fill(equal, 3e38f);
    HistogramAccumulator acc = new HistogramAccumulator(128);
    for (int at = 0; at < equal.length; at += 5) {
      acc.add(equal, at, Math.min(5, equal.length - at));
    }
    assertThat(acc.snapshot()).isEqualTo(TestData.histogram(128, equal));
  }

  @Test
  void nonFiniteValuesAreCountedAndExcluded() {
    float[] v = {
      1f, Float.NaN, -2f, Float.POSITIVE_INFINITY, Float.NaN, Float.NEGATIVE_INFINITY, 3f
    };
    Histogram h = TestData.histogram(256, v);
    assertThat(h.totalCount()).as("finite").isEqualTo(3);
    assertThat(h.nanCount()).as("NaN").isEqualTo(2);
    assertThat(h.posInfCount()).as("+Inf").isEqualTo(1);
    assertThat(h.negInfCount()).as("-Inf").isEqualTo(1);
    assertThat(h.nonFiniteCount()).as("non-finite").isEqualTo(4);
    assertThat(h.min()).as("min ignores -Inf").isEqualTo(-2f);
    assertThat(h.max()).as("max ignores +Inf").isEqualTo(3f);
    assertThat(h)
        .as("same as finite values plus counters")
        .isEqualTo(
            new Histogram(
                256,
                h.level(),
                h.firstBin(),
                TestData.histogram(256, new float[] {1f, -2f, 3f}).counts(),
                -2f,
                3f,
                3,
                2,
                1,
                1,
                false));

    Histogram onlyBad = TestData.histogram(256, new float[] {Float.NaN, Float.NEGATIVE_INFINITY});
    assertThat(onlyBad.isEmpty()).as("no finite value").isTrue();
    assertThat(onlyBad.counts()).as("no bins").isEmpty();
    assertThat(onlyBad.nonFiniteCount()).as("still counted").isEqualTo(2);
  }

  @Test
  void constructorRejectsNonCanonicalHistograms() {
    Histogram h = TestData.histogram(128, TestData.uniform(new SplittableRandom(3), 1000, -1, 1));
    long[] coarser =
        new long[(int) (Math.floorDiv(h.lastBin(), 2) - Math.floorDiv(h.firstBin(), 2) + 1)];
    for (int i = 0; i < h.spanBins(); i++) {
      coarser[(int) (Math.floorDiv(h.firstBin() + i, 2) - Math.floorDiv(h.firstBin(), 2))] +=
          h.count(i);
    }
    assertThatThrownBy(
            () ->
                new Histogram(
                    128,
                    h.level() + 1,
                    Math.floorDiv(h.firstBin(), 2),
                    coarser,
                    h.min(),
                    h.max(),
                    h.totalCount(),
                    0,
                    0,
                    0,
                    false))
        .as("a level above the canonical one")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not the canonical level");
    long[] wrongSum = h.counts();
    wrongSum[0]++;
    assertThatThrownBy(
            () ->
                new Histogram(
                    128,
                    h.level(),
                    h.firstBin(),
                    wrongSum,
                    h.min(),
                    h.max(),
                    h.totalCount(),
                    0,
                    0,
                    0,
                    false))
        .as("counts that do not sum to the total")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sum to");
    assertThatThrownBy(() -> new HistogramAccumulator(1000))
        .as("bins not a power of two")
        .hasMessageContaining("power of two");
    assertThatThrownBy(() -> Histogram.merge(h, Histogram.empty(256)))
        .as("different budgets")
        .hasMessageContaining("different bin budgets");
    assertThatThrownBy(() -> HistogramAccumulator.from(h.foldAbsolute()))
        .as("absolute histograms are not mergeable")
        .hasMessageContaining("absolute");
  }

  @Test
  void serializationRoundTripsExactly() throws Exception {
    SplittableRandom rnd = new SplittableRandom(4);
    float[] v = TestData.gaussian(rnd, 10_000, 1, 2);
    v[3] = Float.NaN;
    HistogramAccumulator acc = new HistogramAccumulator(4096);
    acc.add(v, 0, v.length);
    Histogram h = acc.snapshot();
    HistogramAccumulator accBack = roundTrip(acc);
    assertThat(accBack.snapshot()).as("accumulator").isEqualTo(h);
    float[] more = TestData.gaussian(rnd, 1000, -30, 1);
    accBack.add(more, 0, more.length);
    assertThat(accBack.snapshot())
        .as("a deserialized accumulator keeps accumulating exactly")
        .isEqualTo(TestData.histogram(4096, TestData.concat(v, more)));
    assertThat(roundTrip(h)).as("histogram").isEqualTo(h);
    assertThat(roundTrip(h.foldAbsolute())).as("absolute histogram").isEqualTo(h.foldAbsolute());
    assertThat(roundTrip(new HistogramAccumulator(128)).snapshot())
        .as("empty accumulator")
        .isEqualTo(Histogram.empty(128));
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  @Test
  void foldAbsoluteMapsNegativeBinsExactly() {
    SplittableRandom rnd = new SplittableRandom(5);
    float[][] sets = {
      TestData.gaussian(rnd, 20_000, 0.5, 1),
      TestData.uniform(rnd, 5000, -9, -2),
      TestData.uniform(rnd, 5000, 2, 9),
      TestData.concat(TestData.uniform(rnd, 5000, -9, -2), TestData.uniform(rnd, 5000, 3, 4)),
      {-4f, -2f, 0f, 1f}
    };
    for (float[] v : sets) {
      Histogram h = TestData.histogram(512, v);
      Histogram abs = h.foldAbsolute();
      String label = h.toString();
      assertThat(abs.absolute()).as("flag").isTrue();
      assertThat(abs.level()).as("same grid").isEqualTo(h.level());
      assertThat(abs.totalCount()).as("no counts lost: %s", label).isEqualTo(h.totalCount());
      double w = h.binWidth();
      long[] expected = new long[abs.spanBins()];
      float maxAbs = 0;
      float minAbs = Float.POSITIVE_INFINITY;
      for (float x : v) {
        long j = (long) Math.floor(x / w);
        long folded = j >= 0 ? j : -j - 1;
        expected[(int) (folded - abs.firstBin())]++;
        maxAbs = Math.max(maxAbs, Math.abs(x));
        minAbs = Math.min(minAbs, Math.abs(x));
      }
      assertThat(abs.counts()).as("folded counts: %s", label).containsExactly(expected);
      assertThat(abs.max()).as("max |x| exact").isEqualTo(maxAbs);
      assertThat(abs.min()).as("min |x| bound").isLessThanOrEqualTo(minAbs);
      assertThat((double) abs.min())
          .as("min |x| within its bin")
          .isGreaterThanOrEqualTo(abs.binLow(0));
      if (h.min() >= 0 || h.max() <= 0) {
        assertThat(abs.min()).as("one-sided data: exact min |x|").isEqualTo(minAbs);
      }
      assertThat(abs.foldAbsolute()).as("idempotent").isSameAs(abs);
    }
    // A value on a negative bin edge moves to the closed upper end of its folded bin.
    Histogram edge = TestData.histogram(128, new float[] {-4f, 3f});
    Histogram abs = edge.foldAbsolute();
    assertThat(abs.binHigh(abs.spanBins() - 1))
        .as("-4 counted in the bin ending at 4")
        .isEqualTo(4.0);
  }

  @Test
  void quantilesAreWithinOneBinOfSortedSamples() {
    SplittableRandom rnd = new SplittableRandom(6);
    float[][] sets = {
      TestData.uniform(rnd, 1_000_000, -3, 5), TestData.gaussian(rnd, 1_000_000, 1, 2)
    };
    double[] qs = {1e-5, 0.001, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 0.99999};
    for (float[] v : sets) {
      Histogram h = TestData.histogram(Histogram.DEFAULT_BINS, v);
      float[] sorted = v.clone();
      Arrays.sort(sorted);
      float[] sortedAbs = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        sortedAbs[i] = Math.abs(v[i]);
      }
      Arrays.sort(sortedAbs);
      Histogram abs = h.foldAbsolute();
      for (double q : qs) {
        int rank = (int) Math.ceil(q * v.length) - 1;
        assertThat(h.quantile(q))
            .as("quantile %s of %s", q, h)
            .isCloseTo(sorted[rank], within(h.binWidth()));
        assertThat(abs.quantile(q))
            .as("|x| quantile %s of %s", q, h)
            .isCloseTo(sortedAbs[rank], within(h.binWidth()));
      }
      assertThat(h.quantile(0)).as("q=0 is min").isEqualTo(sorted[0]);
      assertThat(h.quantile(1)).as("q=1 is max").isEqualTo(sorted[v.length - 1]);
      assertThat(abs.quantile(1)).as("|x| q=1 is max |x|").isEqualTo(sortedAbs[v.length - 1]);
    }
    assertThatThrownBy(() -> Histogram.empty(128).quantile(0.5)).hasMessageContaining("empty");
    assertThatThrownBy(() -> TestData.histogram(128, new float[] {1f}).quantile(1.5))
        .hasMessageContaining("[0, 1]");
  }
}
