package io.octet.calib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.octet.histogram.TestData;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Int4BlocksTest {

  /** Reads a nibble straight from the MatMulNBits layout, independently of {@link Int4Blocks}. */
  private static int nibble(byte[] bytes, int pos, int index) {
    int b = bytes[pos] & 0xFF;
    return (index & 1) == 0 ? b & 0xF : b >>> 4;
  }

  @Test
  void packingFollowsMatMulNBitsAndReconstructsWithinHalfAScale() {
    SplittableRandom rnd = new SplittableRandom(21);
    int[][] shapes = {{128, 5, 32}, {70, 3, 32}, {16, 1, 16}, {200, 4, 64}};
    for (int[] shape : shapes) {
      int k = shape[0];
      int n = shape[1];
      int blockSize = shape[2];
      float[] w = TestData.gaussian(rnd, k * n, 0.01, 0.1);
      // One block of column 0 all positive, one of the last column all zero.
      for (int r = 0; r < Math.min(k, blockSize); r++) {
        w[r * n] = Math.abs(w[r * n]) + 0.5f;
        w[r * n + n - 1] = 0f;
      }
      for (boolean symmetric : new boolean[] {true, false}) {
        Int4Blocks q = Int8Math.quantizeInt4Blockwise(w, k, n, blockSize, symmetric);
        String label = q + " symmetric=" + symmetric;
        int blocks = (k + blockSize - 1) / blockSize;
        int blob = blockSize / 2;
        int zpBytes = (blocks + 1) / 2;
        byte[] packed = q.packed();
        float[] scales = q.scales();
        byte[] zps = q.zeroPoints();
        assertThat(q.blocksPerColumn()).as("k_blocks: %s", label).isEqualTo(blocks);
        assertThat(packed).as("B is [N, k_blocks, blob]: %s", label).hasSize(n * blocks * blob);
        assertThat(scales).as("scales [N, k_blocks]: %s", label).hasSize(n * blocks);
        assertThat(zps).as("zero points [N, ceil(k_blocks/2)]: %s", label).hasSize(n * zpBytes);
        for (int col = 0; col < n; col++) {
          for (int b = 0; b < blocks; b++) {
            float lo = 0;
            float hi = 0;
            for (int r = b * blockSize; r < Math.min(k, (b + 1) * blockSize); r++) {
              lo = Math.min(lo, w[r * n + col]);
              hi = Math.max(hi, w[r * n + col]);
            }
            float scale = scales[col * blocks + b];
            int zp = nibble(zps, col * zpBytes + b / 2, b);
            assertThat(zp).as("zero point via accessor").isEqualTo(q.zeroPoint(col, b));
            if (lo == 0 && hi == 0) {
              assertThat(scale).as("all-zero block scale").isEqualTo(1f);
              assertThat(zp).as("all-zero block zp").isEqualTo(8);
            } else if (symmetric) {
              assertThat(scale).as("symmetric scale").isEqualTo((float) (Math.max(-lo, hi) / 7.0));
              assertThat(zp).as("symmetric zp").isEqualTo(8);
            } else {
              assertThat(scale)
                  .as("asymmetric scale")
                  .isEqualTo((float) ((hi - (double) lo) / 15.0));
              assertThat(zp).as("asymmetric zp").isEqualTo((int) Math.rint(-lo / scale));
            }
            for (int i = 0; i < blockSize; i++) {
              int row = b * blockSize + i;
              int code = nibble(packed, (col * blocks + b) * blob + i / 2, i);
              if (row >= k) {
                assertThat(code).as("padding decodes to 0").isEqualTo(zp);
                continue;
              }
              float x = w[row * n + col];
              int expected = (int) Math.max(0, Math.min(15, Math.rint(x / scale) + zp));
              assertThat(code).as("code (%s, %s): %s", row, col, label).isEqualTo(expected);
              assertThat(q.code(row, col)).as("unpack (%s, %s)", row, col).isEqualTo(expected);
              float back = (code - zp) * scale;
              assertThat((double) Math.abs(back - x))
                  .as("error at (%s, %s): %s", row, col, label)
                  .isLessThanOrEqualTo(scale / 2.0 * (1 + 1e-6));
              assertThat(q.dequantize(row, col))
                  .as("dequantize (%s, %s)", row, col)
                  .isEqualTo(back);
            }
          }
          if (blocks % 2 == 1) {
            assertThat(nibble(zps, col * zpBytes + zpBytes - 1, 1)).as("unused nibble").isZero();
          }
        }
      }
    }
  }

  @Test
  void rejectsBadShapes() {
    assertThatThrownBy(() -> Int8Math.quantizeInt4Blockwise(new float[10], 3, 3, 16, true))
        .hasMessageContaining("[3, 3]");
    assertThatThrownBy(() -> Int8Math.quantizeInt4Blockwise(new float[64], 8, 8, 24, true))
        .hasMessageContaining("power of two");
  }
}
