package io.octet.cpu;

import io.octet.util.Checks;
import java.util.Arrays;

/**
 * Encodes int8 weights (symmetric, zero point 0) under a {@link WeightEncoding}.
 *
 * <p>The saturation-aware encoding keeps every bit the AVX2 bound allows. ONNX Runtime's {@code
 * reduce_range} halves every weight's range to protect the few pairs that could pass {@code |w_a| +
 * |w_b| <= 128}; instead, per channel, this encoder searches the scale between the 7-bit one
 * ({@code max|w| / 64}, always feasible) and the full-range one ({@code max|w| / 127}), and for
 * each candidate rounds to nearest, then repairs every pair above the bound by shrinking the member
 * whose error grows least (shrinking a magnitude never breaks another pair). The candidate with the
 * smallest squared error wins. The 7-bit scale is always a candidate and produces exactly {@code
 * reduce_range}'s integers, so a channel's squared error is never above 7-bit's.
 *
 * <p>Only pairs whose members have the same sign are constrained: activations reach the kernel as
 * uint8, so a pair of opposite signs sums to at most {@code 255 * 127} in magnitude. A pair that
 * straddles two channels (none does for the layouts of {@link KernelPairing} with the planner's
 * channel axes) puts both channels on the 7-bit encoding, so the bound holds for every listed pair.
 */
public final class SaturationAwareEncoder {
  private static final int FULL_QMAX = 127;
  private static final int REDUCED_QMAX = 64;
  private static final int GRID = 10;

  private SaturationAwareEncoder() {}

  /**
   * Encodes a weight tensor.
   *
   * @param w the weights, row-major; all finite
   * @param shape the weight's dimensions; their product must equal {@code w.length}
   * @param axis the channel axis, or -1 for one scale for the whole tensor
   * @param pairs element pairs the kernel adds together, from {@link KernelPairing#pairs}; only
   *     {@link WeightEncoding#SATURATION_AWARE} reads them
   * @param encoding the encoding
   * @return int8 values and scales
   * @throws IllegalArgumentException if the shape, axis or pairs do not fit, or a weight is not
   *     finite
   */
  public static EncodedWeights encode(
      float[] w, long[] shape, int axis, int[] pairs, WeightEncoding encoding) {
    Checks.checkNotNull(w, "w");
    Checks.checkNotNull(shape, "shape");
    Checks.checkNotNull(pairs, "pairs");
    Checks.checkNotNull(encoding, "encoding");
    Layout layout = new Layout(w, shape, axis);
    float[] absMax = new float[layout.channels];
    for (int i = 0; i < w.length; i++) {
      Checks.checkArgument(
          Float.isFinite(w[i]), "Weight value at index %s is %s; it must be finite", i, w[i]);
      int c = layout.channel(i);
      absMax[c] = Math.max(absMax[c], Math.abs(w[i]));
    }
    float[] scales = new float[Math.max(1, layout.channels)];
    Arrays.fill(scales, 1.0f);
    int[] q = new int[w.length];
    switch (encoding) {
      case FULL_RANGE, REDUCE_RANGE -> {
        int qmax = encoding == WeightEncoding.FULL_RANGE ? FULL_QMAX : REDUCED_QMAX;
        for (int c = 0; c < layout.channels; c++) {
          scales[c] = scale(absMax[c], qmax);
        }
        for (int i = 0; i < w.length; i++) {
          q[i] = round(w[i], scales[layout.channel(i)], qmax);
        }
      }
      case SATURATION_AWARE -> new Search(w, layout, pairs, absMax, scales, q).run();
    }
    byte[] data = new byte[w.length];
    for (int i = 0; i < w.length; i++) {
      data[i] = (byte) q[i];
    }
    return new EncodedWeights(data, scales);
  }

  /**
   * Returns the largest {@code |q_a| + |q_b|} over the pairs whose members have the same sign (with
   * uint8 activations, a pair of opposite signs sums to at most {@code 255 * 127} in magnitude and
   * cannot saturate): at most {@link KernelPairing#PAIR_BOUND} means no AVX2 pair can saturate.
   *
   * @param data int8 values
   * @param pairs pairs from {@link KernelPairing#pairs}
   * @return the worst same-sign pair sum (0 when there is none)
   */
  public static int worstPairSum(byte[] data, int[] pairs) {
    int worst = 0;
    for (int p = 0; p + 1 < pairs.length; p += 2) {
      worst = Math.max(worst, KernelPairing.pairSum(data[pairs[p]], data[pairs[p + 1]]));
    }
    return worst;
  }

  /** {@code max|w| / qmax} in double, stored as float32; 1.0 for a channel too small for that. */
  static float scale(float absMax, double qmax) {
    float s = (float) (absMax / qmax);
    return s >= Float.MIN_NORMAL ? s : 1.0f;
  }

  /** QuantizeLinear's rounding (float32 division, half to even), clamped to [-qmax, qmax]. */
  static int round(float x, float scale, int qmax) {
    double r = Math.rint(x / scale);
    return (int) Math.max(-qmax, Math.min(qmax, r));
  }

  /** Channel of every element, and the elements of every channel. */
  private static final class Layout {
    final int channels;
    final long inner;
    final int[] start;
    final int[] members;

    Layout(float[] w, long[] shape, int axis) {
      long count = 1;
      for (long d : shape) {
        Checks.checkArgument(d >= 0, "Dimensions must be non-negative, got: %s", d);
        count = Math.multiplyExact(count, d);
      }
      Checks.checkArgument(
          count == w.length,
          "Shape %s holds %s values but the weight has %s",
          Arrays.toString(shape),
          count,
          w.length);
      Checks.checkArgument(
          axis >= -1 && axis < shape.length,
          "Axis must be -1 (per tensor) or in [0, %s), got: %s",
          shape.length,
          axis);
      if (axis < 0) {
        channels = 1;
        inner = Math.max(1, w.length);
      } else {
        channels = Math.toIntExact(shape[axis]);
        long in = 1;
        for (int i = axis + 1; i < shape.length; i++) {
          in *= shape[i];
        }
        inner = Math.max(1, in);
      }
      start = new int[channels + 1];
      for (int i = 0; i < w.length; i++) {
        start[channel(i) + 1]++;
      }
      for (int c = 0; c < channels; c++) {
        start[c + 1] += start[c];
      }
      members = new int[w.length];
      int[] fill = Arrays.copyOf(start, channels);
      for (int i = 0; i < w.length; i++) {
        members[fill[channel(i)]++] = i;
      }
    }

    int channel(int i) {
      return channels == 1 ? 0 : (int) ((i / inner) % channels);
    }
  }

  /**
   * The per-channel scale search of the saturation-aware encoding. Each channel is searched on a
   * contiguous copy of its weights, channels in parallel (they share no pair). A channel with a
   * pair that straddles two channels gets the 7-bit encoding, which needs no repair (every |q| <=
   * 64), so the bound holds across channels and no channel is worse than 7-bit.
   */
  private static final class Search {
    private final float[] w;
    private final Layout layout;
    private final float[] absMax;
    private final float[] scales;
    private final int[] q;
    private final int[] pairStart;
    private final int[] channelPairs;
    private final boolean[] crossChannel;

    Search(float[] w, Layout layout, int[] pairs, float[] absMax, float[] scales, int[] q) {
      this.w = w;
      this.layout = layout;
      this.absMax = absMax;
      this.scales = scales;
      this.q = q;
      Checks.checkArgument(pairs.length % 2 == 0, "Pairs come in twos, got %s", pairs.length);
      int channels = layout.channels;
      int[] local = new int[w.length];
      for (int c = 0; c < channels; c++) {
        for (int k = layout.start[c]; k < layout.start[c + 1]; k++) {
          local[layout.members[k]] = k - layout.start[c];
        }
      }
      pairStart = new int[channels + 1];
      crossChannel = new boolean[channels];
      for (int p = 0; p < pairs.length; p += 2) {
        int a = pairs[p];
        int b = pairs[p + 1];
        Checks.checkArgument(
            a >= 0 && b >= 0 && a < w.length && b < w.length && a != b,
            "Pair (%s, %s) is not two distinct elements of %s",
            a,
            b,
            w.length);
        int c = layout.channel(a);
        if (c == layout.channel(b)) {
          pairStart[c + 1]++;
        } else {
          crossChannel[c] = true;
          crossChannel[layout.channel(b)] = true;
        }
      }
      for (int c = 0; c < channels; c++) {
        pairStart[c + 1] += pairStart[c];
      }
      channelPairs = new int[2 * pairStart[channels]];
      int[] fill = Arrays.copyOf(pairStart, channels);
      for (int p = 0; p < pairs.length; p += 2) {
        int a = pairs[p];
        int b = pairs[p + 1];
        int c = layout.channel(a);
        if (c == layout.channel(b)) {
          int at = 2 * fill[c]++;
          channelPairs[at] = local[a];
          channelPairs[at + 1] = local[b];
        }
      }
    }

    void run() {
      java.util.stream.IntStream.range(0, layout.channels).parallel().forEach(this::channel);
    }

    private void channel(int c) {
      int from = layout.start[c];
      int n = layout.start[c + 1] - from;
      float[] wc = new float[n];
      for (int k = 0; k < n; k++) {
        wc[k] = w[layout.members[from + k]];
      }
      int[] qc = new int[n];
      float s;
      if (crossChannel[c]) {
        s = scale(absMax[c], REDUCED_QMAX);
        for (int k = 0; k < n; k++) {
          qc[k] = round(wc[k], s, REDUCED_QMAX);
        }
      } else {
        s = bestScale(c, wc, qc);
        apply(c, s, wc, qc);
      }
      scales[c] = s;
      for (int k = 0; k < n; k++) {
        q[layout.members[from + k]] = qc[k];
      }
    }

    private float bestScale(int c, float[] wc, int[] qc) {
      float m = absMax[c];
      if (!((float) (m / (double) REDUCED_QMAX) >= Float.MIN_NORMAL)) {
        return 1.0f;
      }
      double worstPair = 0;
      for (int p = 2 * pairStart[c]; p < 2 * pairStart[c + 1]; p += 2) {
        float a = wc[channelPairs[p]];
        float b = wc[channelPairs[p + 1]];
        if ((a > 0 && b > 0) || (a < 0 && b < 0)) {
          worstPair = Math.max(worstPair, (double) Math.abs(a) + Math.abs(b));
        }
      }
      // Below this many steps for max|w|, no same-sign pair exceeds the bound before rounding.
      double feasible =
          worstPair == 0
              ? FULL_QMAX
              : Math.max(
                  REDUCED_QMAX,
                  Math.min(FULL_QMAX, KernelPairing.PAIR_BOUND * (double) m / worstPair));
      float best = scale(m, REDUCED_QMAX);
      double bestError = apply(c, best, wc, qc);
      double step = (FULL_QMAX - feasible) / GRID;
      double bestSteps = REDUCED_QMAX;
      for (int k = 0; k <= GRID; k++) {
        double steps = feasible + k * step;
        float s = scale(m, steps);
        double e = apply(c, s, wc, qc);
        if (e < bestError) {
          bestError = e;
          best = s;
          bestSteps = steps;
        }
        if (step == 0) {
          break;
        }
      }
      if (step > 0 && bestSteps > REDUCED_QMAX) {
        for (int k = -2; k <= 2; k++) {
          double steps = bestSteps + k * step / 3;
          if (k == 0 || steps < feasible || steps > FULL_QMAX) {
            continue;
          }
          float s = scale(m, steps);
          double e = apply(c, s, wc, qc);
          if (e < bestError) {
            bestError = e;
            best = s;
          }
        }
      }
      return best;
    }

    /** Rounds channel c at scale s, repairs its pairs, and returns its squared error. */
    private double apply(int c, float s, float[] wc, int[] qc) {
      for (int k = 0; k < wc.length; k++) {
        qc[k] = round(wc[k], s, FULL_QMAX);
      }
      for (int p = 2 * pairStart[c]; p < 2 * pairStart[c + 1]; p += 2) {
        repair(wc, qc, channelPairs[p], channelPairs[p + 1], s);
      }
      double error = 0;
      for (int k = 0; k < wc.length; k++) {
        double d = wc[k] - (double) qc[k] * s;
        error += d * d;
      }
      return error;
    }

    /**
     * Shrinks a same-sign pair's magnitudes one step at a time, cheapest first, until it fits.
     * Opposite signs never saturate with uint8 activations and are left alone.
     */
    private static void repair(float[] wc, int[] qc, int a, int b, float s) {
      int qa = qc[a];
      int qb = qc[b];
      if (!((qa > 0 && qb > 0) || (qa < 0 && qb < 0))) {
        return;
      }
      int ma = Math.abs(qa);
      int mb = Math.abs(qb);
      int excess = ma + mb - KernelPairing.PAIR_BOUND;
      if (excess <= 0) {
        return;
      }
      // Shrinking |q| by one grows the squared error by s^2 * (2 * (|r| - |q|) + 1), r = w / s:
      // the member rounded up the most is the cheapest to shrink.
      double ra = Math.abs(wc[a] / (double) s);
      double rb = Math.abs(wc[b] / (double) s);
      for (; excess > 0; excess--) {
        if (ra - ma <= rb - mb) {
          ma--;
        } else {
          mb--;
        }
      }
      qc[a] = qa < 0 ? -ma : ma;
      qc[b] = qb < 0 ? -mb : mb;
    }
  }
}
