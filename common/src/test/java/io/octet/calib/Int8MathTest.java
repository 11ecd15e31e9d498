package io.octet.calib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.octet.histogram.TestData;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Int8MathTest {

  @Test
  void everyIntegerRoundTripsThroughDequantizeAndQuantize() {
    float[] scales = {1f, 0.1f, 3.7e-3f, 1e-6f, 42.5f, 7.0e-20f, 1.3e20f};
    for (QuantType type : QuantType.values()) {
      int[] zeroPoints = {type.qmin(), type.symmetricZeroPoint(), type.qmin() + 77, type.qmax()};
      for (float scale : scales) {
        for (int zp : zeroPoints) {
          QuantParams p = new QuantParams(scale, zp, type);
          for (int q = type.qmin(); q <= type.qmax(); q++) {
            float x = Int8Math.dequantize(q, p);
            assertThat(Int8Math.quantize(x, p))
                .as("%s q=%s scale=%s zp=%s", type, q, scale, zp)
                .isEqualTo(q);
          }
          // Bulk paths agree with the scalar ones, including the byte encoding.
          byte[] all = new byte[type.qmax() - type.qmin() + 1];
          for (int q = type.qmin(); q <= type.qmax(); q++) {
            all[q - type.qmin()] = (byte) q;
          }
          float[] real = Int8Math.dequantize(all, p);
          assertThat(Int8Math.quantize(real, p))
              .as("bulk %s %s %s", type, scale, zp)
              .containsExactly(all);
        }
      }
    }
  }

  @Test
  void quantizeRoundsHalfToEvenAndSaturates() {
    QuantParams i8 = new QuantParams(1f, 0, QuantType.INT8);
    assertThat(Int8Math.quantize(2.5f, i8)).as("2.5 -> 2").isEqualTo(2);
    assertThat(Int8Math.quantize(3.5f, i8)).as("3.5 -> 4").isEqualTo(4);
    assertThat(Int8Math.quantize(-2.5f, i8)).as("-2.5 -> -2").isEqualTo(-2);
    assertThat(Int8Math.quantize(-0.5f, i8)).as("-0.5 -> 0").isEqualTo(0);
    assertThat(Int8Math.quantize(2.4999998f, i8)).as("just below half").isEqualTo(2);
    assertThat(Int8Math.quantize(1e9f, i8)).as("saturate high").isEqualTo(127);
    assertThat(Int8Math.quantize(-1e9f, i8)).as("saturate low to -128").isEqualTo(-128);
    assertThat(Int8Math.quantize(Float.POSITIVE_INFINITY, i8)).as("+Inf").isEqualTo(127);
    assertThat(Int8Math.quantize(Float.NEGATIVE_INFINITY, i8)).as("-Inf").isEqualTo(-128);
    QuantParams u8 = new QuantParams(0.5f, 128, QuantType.UINT8);
    assertThat(Int8Math.quantize(0.25f, u8)).as("0.5 steps -> even 128").isEqualTo(128);
    assertThat(Int8Math.quantize(0.75f, u8)).as("1.5 steps -> 130").isEqualTo(130);
    assertThat(Int8Math.quantize(1000f, u8)).as("uint8 saturate high").isEqualTo(255);
    assertThat(Int8Math.quantize(-1000f, u8)).as("uint8 saturate low").isZero();
    assertThat(Int8Math.quantize(Float.NaN, u8)).as("NaN -> zero point").isEqualTo(128);
    byte[] bytes = Int8Math.quantize(new float[] {1000f, -1000f}, u8);
    assertThat(bytes[0] & 0xFF).as("uint8 255 stored as raw byte").isEqualTo(255);
    assertThat(QuantType.UINT8.decode(bytes[0])).as("decoded").isEqualTo(255);
  }

  @Test
  void bufferQuantizeLeavesPositionAlone() {
    QuantParams p = new QuantParams(0.1f, 3, QuantType.INT8);
    float[] v = {0.3f, -1f, 2f, 50f};
    FloatBuffer buf = FloatBuffer.wrap(new float[] {9f, 0.3f, -1f, 2f, 50f});
    buf.position(1);
    byte[] out = new byte[4];
    Int8Math.quantize(buf.asReadOnlyBuffer(), out, 0, p);
    assertThat(buf.position()).as("position").isEqualTo(1);
    assertThat(out).as("same as array").containsExactly(Int8Math.quantize(v, p));
  }

  @Test
  void perChannelWeightsReconstructWithinHalfAScale() {
    SplittableRandom rnd = new SplittableRandom(11);
    // Conv weight [out=6, in=3, 3, 3], axis 0; one channel all zero, one tiny, one huge.
    long[] convShape = {6, 3, 3, 3};
    float[] conv = TestData.gaussian(rnd, 162, 0, 0.2);
    for (int i = 0; i < 27; i++) {
      conv[2 * 27 + i] = 0f;
      conv[3 * 27 + i] *= 1e-6f;
      conv[4 * 27 + i] *= 1e4f;
    }
    check(conv, convShape, 0, QuantType.INT8);
    check(conv, convShape, 0, QuantType.UINT8);
    // MatMul weight [K=20, N=7], channel axis 1 given as -1.
    check(TestData.laplace(rnd, 140, 0.05), new long[] {20, 7}, -1, QuantType.INT8);

    PerChannelWeights pc = Int8Math.quantizeWeightsPerChannel(conv, convShape, 0, QuantType.INT8);
    assertThat(pc.scales()[2]).as("all-zero channel scale").isEqualTo(1f);
    assertThat(pc.zeroPoints()).as("int8 symmetric zero points").containsOnly(0);
    assertThatThrownBy(
            () ->
                Int8Math.quantizeWeightsPerChannel(
                    new float[] {1, Float.NaN}, new long[] {2}, 0, QuantType.INT8))
        .hasMessageContaining("index 1");
    assertThatThrownBy(
            () ->
                Int8Math.quantizeWeightsPerChannel(
                    new float[3], new long[] {2, 2}, 0, QuantType.INT8))
        .hasMessageContaining("holds 4 values");
  }

  private static void check(float[] w, long[] shape, int axis, QuantType type) {
    PerChannelWeights pc = Int8Math.quantizeWeightsPerChannel(w, shape, axis, type);
    int ax = axis < 0 ? axis + shape.length : axis;
    int channels = (int) shape[ax];
    int inner = 1;
    for (int i = ax + 1; i < shape.length; i++) {
      inner *= (int) shape[i];
    }
    float[] absMax = new float[channels];
    for (int i = 0; i < w.length; i++) {
      int c = (i / inner) % channels;
      absMax[c] = Math.max(absMax[c], Math.abs(w[i]));
    }
    byte[] data = pc.data();
    float[] back = pc.dequantize();
    for (int i = 0; i < w.length; i++) {
      int c = (i / inner) % channels;
      float scale = pc.scales()[c];
      if (absMax[c] > 0) {
        double levels = (type.symmetricQmax() - type.symmetricQmin()) / 2.0;
        assertThat(scale).as("scale of channel %s", c).isEqualTo((float) (absMax[c] / levels));
      }
      int q = type.decode(data[i]);
      assertThat(q).as("symmetric range").isBetween(type.symmetricQmin(), type.symmetricQmax());
      // Half a step, plus the gap between max|w| and the grid edge that rounding the scale to
      // float32 leaves (it matters for uint8, whose +max lands on a tie and saturates at 255), plus
      // the float32 rounding of the dequantized product.
      double levels = (type.symmetricQmax() - type.symmetricQmin()) / 2.0;
      double slack = Math.abs(absMax[c] - levels * scale) + Math.ulp(absMax[c]);
      assertThat(Math.abs((double) back[i] - w[i]))
          .as("element %s of channel %s", i, c)
          .isLessThanOrEqualTo(scale / 2.0 * (1 + 1e-6) + slack);
    }
  }

  @Test
  void perTensorWeightsReconstructWithinHalfAScale() {
    float[] w = TestData.uniform(new SplittableRandom(12), 1000, -0.3, 0.9);
    for (boolean symmetric : new boolean[] {true, false}) {
      PerTensorWeights pt = Int8Math.quantizeWeightsPerTensor(w, QuantType.INT8, symmetric);
      float[] back = Int8Math.dequantize(pt.data(), pt.params());
      for (int i = 0; i < w.length; i++) {
        assertThat((double) Math.abs(back[i] - w[i]))
            .as("element %s, symmetric=%s", i, symmetric)
            .isLessThanOrEqualTo(pt.params().scale() / 2.0 * (1 + 1e-6));
      }
    }
  }

  @Test
  void biasUsesTheProductOfInputAndWeightScales() {
    float inputScale = 0.02f;
    float[] weightScales = {0.001f, 0.5f, 3e-5f};
    float[] bias = {0.37f, -12.25f, 1e-3f};
    float[] scales = Int8Math.biasScales(inputScale, weightScales);
    int[] q = Int8Math.quantizeBias(bias, inputScale, weightScales);
    for (int c = 0; c < bias.length; c++) {
      assertThat(scales[c]).as("scale %s", c).isEqualTo(inputScale * weightScales[c]);
      assertThat(q[c]).as("bias %s", c).isEqualTo((int) Math.rint(bias[c] / (double) scales[c]));
      assertThat((double) Math.abs(q[c] * scales[c] - bias[c]))
          .as("reconstruction %s", c)
          .isLessThanOrEqualTo(scales[c] / 2.0 * (1 + 1e-6));
    }
    int[] perTensor = Int8Math.quantizeBias(bias, inputScale, new float[] {0.01f});
    assertThat(perTensor[1])
        .as("one weight scale for all")
        .isEqualTo((int) Math.rint(-12.25 / (double) (0.02f * 0.01f)));
    int[] saturated =
        Int8Math.quantizeBias(new float[] {1e30f, -1e30f}, 1e-3f, new float[] {1e-3f});
    assertThat(saturated)
        .as("saturates to int32")
        .containsExactly(Integer.MAX_VALUE, Integer.MIN_VALUE);
    assertThatThrownBy(() -> Int8Math.quantizeBias(bias, inputScale, new float[] {1f, 2f}))
        .hasMessageContaining("one weight scale or one per bias element");
  }
}
