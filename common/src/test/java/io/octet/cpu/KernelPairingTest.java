package io.octet.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.cpu.KernelPairing.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which weight elements the AVX2 kernel adds together, per operator layout. */
class KernelPairingTest {

  @Test
  void matMulPairsAdjacentRowsOfTheSameColumn() {
    // W[K=3, N=2]: K rows (0,1) pair in each column; row 2 has no partner.
    int[] p = KernelPairing.pairs(new long[] {3, 2}, KernelPairing.orders(Role.MATMUL_B, 2));
    assertThat(p).containsExactly(0, 2, 1, 3);
  }

  @Test
  void transposedGemmPairsAdjacentColumnsOfARow() {
    int[] p =
        KernelPairing.pairs(new long[] {2, 4}, KernelPairing.orders(Role.GEMM_B_TRANSPOSED, 2));
    assertThat(p).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
  }

  @Test
  void convFiltersPairUnderEveryLayoutAndPairsAreListedOnce() {
    // [Cout=1, Cin=2, 1, 2]: NCHW order (c, kh, kw) = 0 1 2 3 pairs (0,1)(2,3); NHWC order
    // (kh, kw, c) = 0 2 1 3 pairs (0,2)(1,3); per position, channels pair (0,2)(1,3) again.
    int[] p =
        KernelPairing.pairs(new long[] {1, 2, 1, 2}, KernelPairing.orders(Role.CONV_FILTER, 4));
    assertThat(p).containsExactly(0, 1, 2, 3, 0, 2, 1, 3);
    assertThat(KernelPairing.orders(Role.CONV_FILTER, 4)).hasSize(3);
  }

  @Test
  void theBoundIsTheLargestPairSumAnInt16HoldsTimes255() {
    assertThat(KernelPairing.PAIR_BOUND).isEqualTo(128);
    assertThat(255 * KernelPairing.PAIR_BOUND).isLessThanOrEqualTo(Short.MAX_VALUE);
    assertThat(255 * (KernelPairing.PAIR_BOUND + 1)).isGreaterThan(Short.MAX_VALUE);
  }

  @Test
  void emptyAndVectorWeights() {
    assertThat(KernelPairing.pairs(new long[] {0, 4}, KernelPairing.orders(Role.MATMUL_B, 2)))
        .isEmpty();
    assertThat(KernelPairing.pairs(new long[] {5}, List.of(new int[] {0})))
        .containsExactly(0, 1, 2, 3);
  }
}
