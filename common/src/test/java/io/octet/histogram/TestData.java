package io.octet.histogram;

import java.util.SplittableRandom;

/** Seeded synthetic activations for histogram and calibration tests. */
public final class TestData {
  private TestData() {}

  /**
   * Returns Gaussian samples.
   *
   * @param rnd the seeded generator
   * @param n how many samples
   * @param mean the mean
   * @param sigma the standard deviation
   * @return the samples
   */
  public static float[] gaussian(SplittableRandom rnd, int n, double mean, double sigma) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (mean + sigma * rnd.nextGaussian());
    }
    return out;
  }

  /**
   * Returns Laplace samples centred at 0.
   *
   * @param rnd the seeded generator
   * @param n how many samples
   * @param b the scale (the mean absolute value)
   * @return the samples
   */
  public static float[] laplace(SplittableRandom rnd, int n, double b) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double u = rnd.nextDouble() - 0.5;
      out[i] = (float) (-b * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
    }
    return out;
  }

  /**
   * Returns uniform samples.
   *
   * @param rnd the seeded generator
   * @param n how many samples
   * @param lo the lower bound, inclusive
   * @param hi the upper bound, exclusive
   * @return the samples
   */
  public static float[] uniform(SplittableRandom rnd, int n, double lo, double hi) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) rnd.nextDouble(lo, hi);
    }
    return out;
  }

  /**
   * Concatenates arrays.
   *
   * @param parts the arrays
   * @return their values in order
   */
  public static float[] concat(float[]... parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /**
   * Shuffles an array in place (Fisher-Yates).
   *
   * @param rnd the seeded generator
   * @param values the array to shuffle
   */
  public static void shuffle(SplittableRandom rnd, float[] values) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      float t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  /**
   * Returns the histogram of {@code values} accumulated in one call.
   *
   * @param numBins the bin budget
   * @param values the values
   * @return the single-pass snapshot
   */
  public static Histogram histogram(int numBins, float[] values) {
    HistogramAccumulator acc = new HistogramAccumulator(numBins);
    acc.add(values, 0, values.length);
    return acc.snapshot();
  }
}
