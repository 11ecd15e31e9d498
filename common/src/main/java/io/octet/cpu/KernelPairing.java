package io.octet.cpu;

import io.octet.util.Checks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which int8 weights ONNX Runtime's AVX2 integer kernels add together in one saturating int16.
 *
 * <p>MLAS's u8 x s8 GEMM for AVX2 ({@code onnxruntime/core/mlas/lib/qgemm_kernel_avx2.cpp}, {@code
 * MLAS_GEMM_U8S8_KERNEL_AVX2::PackedK == 4}) packs B so that four consecutive K rows of one column
 * sit in one 32-bit lane; {@code VPMADDUBSW} then multiplies each byte by the matching activation
 * byte and adds bytes 0+1 and 2+3 into int16 with saturation, before {@code VPMADDWD} widens to
 * int32. The pairs are therefore K indices {@code (2j, 2j+1)} of the same output column, counted
 * from the start of K (K blocks start at multiples of 4, and padding past K is zero). ORT keeps a
 * debug-only check of exactly this overflow in {@code
 * onnxruntime/core/mlas/lib/intrinsics/avx2/saturation_check_avx2.cpp}. Activations reach the
 * kernel as uint8 (int8 activations are shifted by 128 on x86), so a pair of opposite signs never
 * saturates ({@code 255 * 127 < 32767}) and a pair of the same sign is safe on every input exactly
 * when {@code 255 * (|w_a| + |w_b|) <= 32767}, i.e. {@code |w_a| + |w_b| <= 128}.
 *
 * <p>Convolutions reach the same kernel through an im2col whose K order depends on the layout ORT
 * picks (NCHW: input channel, then kernel rows and columns; NHWC and the symmetric ConvSym kernels:
 * kernel position, then input channel, channels padded per position). Because Octet cannot know
 * which path a runtime takes, a convolution filter is constrained under all three orders.
 */
public final class KernelPairing {
  /** The largest {@code |w_a| + |w_b|} for which {@code 255 * sum} fits a signed int16. */
  public static final int PAIR_BOUND = Short.MAX_VALUE / 255;

  private KernelPairing() {}

  /**
   * How an integer kernel reads a constant weight. Only the weight operand (B) of the u8 x s8 GEMM
   * pairs its elements: an int8 constant as the left operand of a MatMul, and a ConvTranspose
   * filter (ONNX Runtime 1.29 runs QDQ ConvTranspose in float), never reach {@code VPMADDUBSW} as
   * weights (both checked on an emulated AVX2 CPU).
   */
  public enum Role {
    /** Right operand of MatMul/MatMulInteger, {@code [..., K, N]}: K is the second-last axis. */
    MATMUL_B,
    /** Gemm B with {@code transB = 1}: {@code [N, K]}. */
    GEMM_B_TRANSPOSED,
    /** Conv filter {@code [Cout, Cin/group, k1, k2, ...]}: reduced over every axis but 0. */
    CONV_FILTER
  }

  /**
   * Returns what a pair contributes to the int16 bound: {@code |a| + |b|} when both have the same
   * sign, else 0 (a pair of opposite signs cannot saturate with uint8 activations).
   *
   * @param a one int8 value
   * @param b the other
   * @return the same-sign magnitude sum, or 0
   */
  public static int pairSum(int a, int b) {
    return (a > 0 && b > 0) || (a < 0 && b < 0) ? Math.abs(a) + Math.abs(b) : 0;
  }

  /**
   * Returns the reduction orders under which the kernel may pair elements of a weight. Each order
   * lists the axes flattened into K, outermost first; elements that agree on every other axis form
   * one K row, and positions {@code 2j, 2j+1} of that row are a pair.
   *
   * @param role how the weight is read
   * @param rank the weight's rank
   * @return one or more orders (never empty for rank >= 1)
   * @throws IllegalArgumentException if the rank does not fit the role
   */
  public static List<int[]> orders(Role role, int rank) {
    Checks.checkNotNull(role, "role");
    Checks.checkArgument(rank >= 1, "A weight needs rank >= 1, got: %s", rank);
    return switch (role) {
      case MATMUL_B -> List.of(new int[] {rank >= 2 ? rank - 2 : 0});
      case GEMM_B_TRANSPOSED -> {
        Checks.checkArgument(rank == 2, "A Gemm weight has rank 2, got: %s", rank);
        yield List.of(new int[] {1});
      }
      case CONV_FILTER -> {
        Checks.checkArgument(rank >= 2, "A Conv filter has rank >= 2, got: %s", rank);
        int[] nchw = new int[rank - 1];
        int[] nhwc = new int[rank - 1];
        for (int i = 0; i < rank - 1; i++) {
          nchw[i] = i + 1;
          nhwc[i] = i + 2 < rank ? i + 2 : 1;
        }
        List<int[]> out = new ArrayList<>();
        out.add(nchw);
        if (!Arrays.equals(nchw, nhwc)) {
          out.add(nhwc);
          out.add(new int[] {1});
        }
        yield out;
      }
    };
  }

  /**
   * Lists every pair of element indices that some order puts side by side, each pair once.
   *
   * @param shape the weight's dimensions
   * @param orders reduction orders from {@link #orders}
   * @return pairs as {@code [a0, b0, a1, b1, ...]} with {@code a < b}, in row-major indices
   */
  public static int[] pairs(long[] shape, List<int[]> orders) {
    Checks.checkNotNull(shape, "shape");
    long count = 1;
    for (long d : shape) {
      Checks.checkArgument(d >= 0, "Dimensions must be non-negative, got: %s", d);
      count = Math.multiplyExact(count, d);
    }
    int n = Math.toIntExact(count);
    // The same order often comes from several readers of one weight: compute it once.
    List<int[]> uniqueOrders = new ArrayList<>();
    for (int[] order : orders) {
      if (uniqueOrders.stream().noneMatch(o -> Arrays.equals(o, order))) {
        uniqueOrders.add(order);
      }
    }
    List<int[]> distinct = new ArrayList<>();
    for (int[] order : uniqueOrders) {
      int[] partner = partners(shape, n, order);
      if (distinct.stream().noneMatch(p -> Arrays.equals(p, partner))) {
        distinct.add(partner);
      }
    }
    // A pair two orders agree on is listed once.
    int[] out = new int[Math.multiplyExact(n, distinct.size())];
    int size = 0;
    for (int o = 0; o < distinct.size(); o++) {
      int[] partner = distinct.get(o);
      for (int a = 0; a < n; a++) {
        int b = partner[a];
        if (b <= a || listedEarlier(distinct, o, a, b)) {
          continue;
        }
        out[size++] = a;
        out[size++] = b;
      }
    }
    return Arrays.copyOf(out, size);
  }

  private static boolean listedEarlier(List<int[]> orders, int upTo, int a, int b) {
    for (int o = 0; o < upTo; o++) {
      if (orders.get(o)[a] == b) {
        return true;
      }
    }
    return false;
  }

  /** For one order, each element's partner in its K row, or -1 (an odd row's last element). */
  private static int[] partners(long[] shape, int n, int[] order) {
    int rank = shape.length;
    boolean[] reduced = new boolean[rank];
    for (int ax : order) {
      Checks.checkArgument(ax >= 0 && ax < rank, "Axis %s is out of range for rank %s", ax, rank);
      Checks.checkArgument(!reduced[ax], "Axis %s is listed twice", ax);
      reduced[ax] = true;
    }
    long[] strides = new long[rank];
    long s = 1;
    for (int i = rank - 1; i >= 0; i--) {
      strides[i] = s;
      s *= shape[i];
    }
    int[] rowAxes = new int[rank - order.length];
    int r = 0;
    for (int i = 0; i < rank; i++) {
      if (!reduced[i]) {
        rowAxes[r++] = i;
      }
    }
    int[] partner = new int[n];
    Arrays.fill(partner, -1);
    if (n == 0) {
      return partner;
    }
    long[] rowIdx = new long[rowAxes.length];
    long[] kIdx = new long[order.length];
    while (true) {
      long base = 0;
      for (int i = 0; i < rowAxes.length; i++) {
        base += rowIdx[i] * strides[rowAxes[i]];
      }
      Arrays.fill(kIdx, 0);
      int pending = -1;
      while (true) {
        long at = base;
        for (int i = 0; i < order.length; i++) {
          at += kIdx[i] * strides[order[i]];
        }
        if (pending < 0) {
          pending = (int) at;
        } else {
          partner[pending] = (int) at;
          partner[(int) at] = pending;
          pending = -1;
        }
        if (!advance(kIdx, order, shape)) {
          break;
        }
      }
      if (!advance(rowIdx, rowAxes, shape)) {
        return partner;
      }
    }
  }

  /** Odometer step over the given axes, last axis fastest; false when it wraps around. */
  private static boolean advance(long[] idx, int[] axes, long[] shape) {
    for (int i = axes.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[axes[i]]) {
        return true;
      }
      idx[i] = 0;
    }
    return false;
  }
}
