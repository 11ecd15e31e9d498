package io.octet.calib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.octet.histogram.Histogram;
import io.octet.histogram.HistogramAccumulator;
import io.octet.histogram.TestData;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RangeSelectorTest {
  private static final RangeOptions SYM_INT8 = RangeOptions.of(QuantType.INT8, true);
  private static final RangeOptions ASYM_UINT8 = RangeOptions.of(QuantType.UINT8, false);

  /** Mean squared error of quantizing then dequantizing every sample with the range's params. */
  private static double quantizationMse(float[] v, ClipRange r, QuantType type, boolean symmetric) {
    QuantParams p = r.toQuantParams(type, symmetric);
    double sum = 0;
    for (float x : v) {
      double e = Int8Math.dequantize(Int8Math.quantize(x, p), p) - (double) x;
      sum += e * e;
    }
    return sum / v.length;
  }

  @Test
  void minmaxIsExact() {
    Histogram h = TestData.histogram(4096, new float[] {-0.75f, 3.5f, 1f});
    assertThat(RangeSelector.select(h, CalibrationMethod.MINMAX, ASYM_UINT8))
        .as("asymmetric")
        .isEqualTo(new ClipRange(-0.75f, 3.5f));
    assertThat(RangeSelector.select(h, CalibrationMethod.MINMAX, SYM_INT8))
        .as("symmetric")
        .isEqualTo(new ClipRange(-3.5f, 3.5f));
  }

  @Test
  void percentileMatchesSortedSamples() {
    SplittableRandom rnd = new SplittableRandom(31);
    float[] v = TestData.gaussian(rnd, 1_000_000, 0.5, 1);
    Histogram h = TestData.histogram(Histogram.DEFAULT_BINS, v);
    RangeOptions o = new RangeOptions(99.9, true, QuantType.INT8);
    ClipRange sym = RangeSelector.select(h, CalibrationMethod.PERCENTILE, o);
    float[] abs = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      abs[i] = Math.abs(v[i]);
    }
    Arrays.sort(abs);
    float expected = abs[(int) Math.ceil(0.999 * v.length) - 1];
    assertThat(sym.hi())
        .as("symmetric 99.9%% of |x|")
        .isCloseTo(expected, within((float) h.binWidth()));
    assertThat(sym.lo()).as("symmetric").isEqualTo(-sym.hi());

    ClipRange asym =
        RangeSelector.select(
            h, CalibrationMethod.PERCENTILE, new RangeOptions(99.9, false, QuantType.UINT8));
    float[] sorted = v.clone();
    Arrays.sort(sorted);
    assertThat(asym.lo())
        .as("0.05%% quantile")
        .isCloseTo(sorted[(int) Math.ceil(0.0005 * v.length) - 1], within((float) h.binWidth()));
    assertThat(asym.hi())
        .as("99.95%% quantile")
        .isCloseTo(sorted[(int) Math.ceil(0.9995 * v.length) - 1], within((float) h.binWidth()));
    assertThat(
            RangeSelector.select(
                h, CalibrationMethod.PERCENTILE, new RangeOptions(100, false, QuantType.UINT8)))
        .as("100%% is minmax")
        .isEqualTo(new ClipRange(h.min(), h.max()));
  }

  @Test
  void entropyClipsOutliersButNotTheBulk() {
    SplittableRandom rnd = new SplittableRandom(32);
    float[] v =
        TestData.concat(TestData.gaussian(rnd, 300_000, 0, 1), new float[] {60f, -55f, 58f});
    Histogram h = TestData.histogram(Histogram.DEFAULT_BINS, v);
    ClipRange r = RangeSelector.select(h, CalibrationMethod.ENTROPY, SYM_INT8);
    assertThat(r.hi()).as("threshold far below the outliers").isLessThan(0.25f * 60f);
    assertThat(r.hi()).as("threshold above 2 sigma").isGreaterThan(2f);
    assertThat(r.lo()).as("symmetric").isEqualTo(-r.hi());

    ClipRange asym = RangeSelector.select(h, CalibrationMethod.ENTROPY, ASYM_UINT8);
    assertThat(asym.hi()).as("asymmetric threshold below outliers").isLessThan(0.25f * 60f);
    assertThat(asym.lo()).as("asymmetric lower bound").isLessThan(-2f);

    // Same data partitioned differently: identical histogram, hence identical threshold.
    HistogramAccumulator a = new HistogramAccumulator(Histogram.DEFAULT_BINS);
    HistogramAccumulator b = new HistogramAccumulator(Histogram.DEFAULT_BINS);
    a.add(v, 0, 1000);
    b.add(v, 1000, v.length - 1000);
    b.merge(a);
    assertThat(RangeSelector.select(b.snapshot(), CalibrationMethod.ENTROPY, SYM_INT8))
        .as("partition-free")
        .isEqualTo(r);
  }

  @Test
  void entropyOnCleanDataStaysNearTheTail() {
    SplittableRandom rnd = new SplittableRandom(33);
    float[] v = TestData.gaussian(rnd, 300_000, 0, 1);
    Histogram h = TestData.histogram(Histogram.DEFAULT_BINS, v);
    ClipRange r = RangeSelector.select(h, CalibrationMethod.ENTROPY, SYM_INT8);
    assertThat(r.hi()).as("above 2 sigma").isGreaterThan(2f);
    assertThat(r.hi()).as("at most max|x|").isLessThanOrEqualTo(Math.max(-h.min(), h.max()));
    // Non-negative data (ReLU) with uint8 searches 255 levels over the raw histogram.
    float[] relu = v.clone();
    for (int i = 0; i < relu.length; i++) {
      relu[i] = Math.max(0f, relu[i]);
    }
    ClipRange pos =
        RangeSelector.select(
            TestData.histogram(Histogram.DEFAULT_BINS, relu),
            CalibrationMethod.ENTROPY,
            ASYM_UINT8);
    assertThat(pos.lo()).as("ReLU lower bound is 0").isZero();
    // The spike of exact zeros shares the first quantized level with its neighbours, which pulls
    // KL thresholds down on ReLU outputs (a known property of the method): about 2 sigma here.
    assertThat(pos.hi()).as("ReLU threshold").isGreaterThan(1.5f).isLessThan(h.max());
  }

  @Test
  void mseBeatsMinmaxOnGaussianAndLaplace() {
    SplittableRandom rnd = new SplittableRandom(34);
    float[][] sets = {TestData.gaussian(rnd, 400_000, 0, 1), TestData.laplace(rnd, 400_000, 1)};
    for (float[] v : sets) {
      Histogram h = TestData.histogram(Histogram.DEFAULT_BINS, v);
      float max = Math.max(-h.min(), h.max());
      ClipRange mse = RangeSelector.select(h, CalibrationMethod.MSE, SYM_INT8);
      ClipRange minmax = RangeSelector.select(h, CalibrationMethod.MINMAX, SYM_INT8);
      assertThat(mse.hi())
          .as("threshold inside (0, max) for %s", h)
          .isGreaterThan(0f)
          .isLessThan(max);
      double mseError = quantizationMse(v, mse, QuantType.INT8, true);
      double minmaxError = quantizationMse(v, minmax, QuantType.INT8, true);
      assertThat(mseError).as("actual MSE below minmax's for %s", h).isLessThan(minmaxError);
    }
  }

  @Test
  void asymmetricMseClipsTheLongTail() {
    SplittableRandom rnd = new SplittableRandom(35);
    float[] v = TestData.laplace(rnd, 400_000, 1);
    for (int i = 0; i < v.length; i++) {
      // A skewed activation: GELU-like, small negative side, long positive tail.
      v[i] = v[i] < 0 ? 0.1f * v[i] : v[i];
    }
    Histogram h = TestData.histogram(Histogram.DEFAULT_BINS, v);
    ClipRange mse = RangeSelector.select(h, CalibrationMethod.MSE, ASYM_UINT8);
    ClipRange minmax = RangeSelector.select(h, CalibrationMethod.MINMAX, ASYM_UINT8);
    assertThat(mse.hi()).as("upper bound clipped").isLessThan(h.max()).isGreaterThan(0f);
    assertThat(mse.lo())
        .as("lower bound within data")
        .isGreaterThanOrEqualTo(h.min())
        .isLessThan(0f);
    assertThat(quantizationMse(v, mse, QuantType.UINT8, false))
        .as("actual MSE below minmax's")
        .isLessThan(quantizationMse(v, minmax, QuantType.UINT8, false));
  }

  @Test
  void everyMethodStaysWithinTheData() {
    SplittableRandom rnd = new SplittableRandom(36);
    float[][] sets = {
      TestData.uniform(rnd, 20_000, 3, 4),
      TestData.uniform(rnd, 20_000, -7, -6.5),
      TestData.gaussian(rnd, 20_000, 1000, 0.01),
      TestData.laplace(rnd, 20_000, 1e-30),
      {2.5f},
      {0f, 0f},
      {-1f, 1f}
    };
    for (float[] v : sets) {
      Histogram h = TestData.histogram(256, v);
      float absMax = Math.max(-h.min(), h.max());
      for (CalibrationMethod m : CalibrationMethod.values()) {
        for (QuantType type : QuantType.values()) {
          for (boolean symmetric : new boolean[] {true, false}) {
            RangeOptions o = new RangeOptions(99.0, symmetric, type);
            ClipRange r = RangeSelector.select(h, m, o);
            String label = m + " " + o + " " + h;
            if (symmetric) {
              assertThat(r.lo()).as("symmetric: %s", label).isEqualTo(-r.hi());
              assertThat(r.hi()).as("within max|x|: %s", label).isBetween(0f, absMax);
            } else {
              assertThat(r.lo()).as("lo within data: %s", label).isBetween(h.min(), h.max());
              assertThat(r.hi()).as("hi within data: %s", label).isBetween(r.lo(), h.max());
            }
          }
        }
      }
    }
  }

  @Test
  void emptyOrAbsoluteHistogramsAreRejected() {
    Histogram onlyNan = TestData.histogram(128, new float[] {Float.NaN, Float.POSITIVE_INFINITY});
    assertThatThrownBy(() -> RangeSelector.select(onlyNan, CalibrationMethod.MINMAX, SYM_INT8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no finite values")
        .hasMessageContaining("NaN: 1");
    Histogram h = TestData.histogram(128, new float[] {-1f, 2f});
    assertThatThrownBy(
            () -> RangeSelector.select(h.foldAbsolute(), CalibrationMethod.MINMAX, SYM_INT8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("signed histogram");
  }
}
