package io.octet.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.octet.error.QuantException;
import io.octet.memory.ActivationFootprint.TensorShape;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActivationFootprintTest {
  /** A BERT-like layer probed at sequence lengths 5 and 9 (batch 1). */
  private static ActivationFootprint bertLike() {
    return new ActivationFootprint(
        List.of(
            TensorShape.fromProbes("hidden", dims(1, 5, 384), 5, dims(1, 9, 384), 9, 4),
            TensorShape.fromProbes("scores", dims(1, 12, 5, 5), 5, dims(1, 12, 9, 9), 9, 4),
            TensorShape.fromProbes("folded", dims(5, 64), 5, dims(9, 64), 9, 4),
            TensorShape.fromProbes("pooled", dims(1, 384), 5, dims(1, 384), 9, 4)));
  }

  private static long[] dims(long... d) {
    return d;
  }

  @Test
  void dimensionsThatGrewBetweenProbesScaleWithTheRow() {
    ActivationFootprint f = bertLike();
    assertThat(f.tensorRowBytes("hidden", 128)).isEqualTo(4L * 128 * 384);
    assertThat(f.tensorRowBytes("scores", 128)).isEqualTo(4L * 12 * 128 * 128);
    assertThat(f.tensorRowBytes("folded", 128)).isEqualTo(4L * 128 * 64);
    assertThat(f.tensorRowBytes("pooled", 128)).isEqualTo(4L * 384);
    long returned = 4L * (128 * 384 + 12 * 128 * 128 + 128 * 64 + 384);
    long work = ActivationFootprint.WORK_FACTOR * 4L * 12 * 128 * 128;
    assertThat(f.rowBytes(128)).isEqualTo(returned + work);
  }

  @Test
  void oneProbeSizeMeansFixedShapes() {
    TensorShape conv = TensorShape.fromProbes("conv", dims(1, 16, 8, 8), 8, null, 8, 4);
    assertThat(conv.rowBytes(8)).isEqualTo(4.0 * 16 * 8 * 8);
    assertThat(conv.rowBytes(100)).isEqualTo(4.0 * 16 * 8 * 8);
  }

  @Test
  void batchRowsFollowTheShare() {
    ActivationFootprint f = bertLike();
    long row = f.rowBytes(128);
    List<String> all = f.names();
    assertThat(f.rowsPerBatch(all, 128, 10 * row, 32)).isEqualTo(10);
    assertThat(f.rowsPerBatch(all, 128, 100 * row, 32)).isEqualTo(32);
    assertThat(f.rowsPerBatch(all, 128, row - 1, 32)).isZero();
    // Shorter rows fit more.
    assertThat(f.rowsPerBatch(all, 16, 10 * row, 32)).isEqualTo(32);
  }

  @Test
  void measurementsAboveTheEstimateRaiseLaterEstimates() {
    ActivationFootprint f = bertLike();
    long before = f.tensorRowBytes("pooled", 128);
    f.observe("pooled", 3 * before, 128);
    assertThat(f.tensorRowBytes("pooled", 128)).isEqualTo(3 * before);
    f.observe("pooled", before, 128); // never lowered
    assertThat(f.tensorRowBytes("pooled", 128)).isEqualTo(3 * before);
    assertThat(f.fresh().tensorRowBytes("pooled", 128)).isEqualTo(before);
  }

  @Test
  void groupsKeepOrderAndEachFitsTheShare() {
    ActivationFootprint f = bertLike();
    long work = ActivationFootprint.WORK_FACTOR * f.tensorRowBytes("scores", 128);
    long share = work + f.tensorRowBytes("scores", 128) + 1;
    List<List<String>> groups = f.groups("bert", 128, share, "budget");
    assertThat(groups.stream().flatMap(List::stream).toList()).isEqualTo(f.names());
    assertThat(groups).hasSizeGreaterThan(1);
    for (List<String> g : groups) {
      assertThat(f.rowBytes(g, 128)).isLessThanOrEqualTo(share);
    }
    assertThat(f.groups("bert", 128, f.rowBytes(128), "budget")).hasSize(1);
  }

  @Test
  void aTensorWhoseOneRowExceedsTheShareFailsNamingIt() {
    ActivationFootprint f = bertLike();
    assertThatThrownBy(() -> f.groups("bert", 128, 1000, "4 GiB per executor"))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("Model 'bert'")
        .hasMessageContaining("calibrated tensor 'hidden'")
        .hasMessageContaining("the largest tensor, 'scores'")
        .hasMessageContaining("4 GiB per executor");
  }

  @Test
  void moreGroupsThanTheCapFailNamingTheCount() {
    List<TensorShape> many = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      many.add(TensorShape.fromProbes("t" + i, dims(1, 100), 1, null, 1, 4));
    }
    ActivationFootprint f = new ActivationFootprint(many);
    long work = ActivationFootprint.WORK_FACTOR * 400L;
    assertThat(f.groups("m", 1, work + 1200, "b")).hasSize(14); // 3 tensors of 400 B each
    assertThatThrownBy(() -> f.groups("m", 1, work + 400, "b"))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("at most " + ActivationFootprint.MAX_GROUPS + " groups")
        .hasMessageContaining("would need 40");
  }

  @Test
  void theDynamicDimensionIsTheLargestInputDimension() {
    assertThat(ActivationFootprint.dynamicDim(List.of(dims(37), dims(37), dims(37)))).isEqualTo(37);
    assertThat(ActivationFootprint.dynamicDim(List.of(dims(1, 8, 8)))).isEqualTo(8);
    assertThat(ActivationFootprint.dynamicDim(List.of(dims()))).isEqualTo(1);
  }
}
