package io.octet.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The comparison pass's timing: sums that merge in any order, and a floor below which it waits. */
class RunTimesTest {
  @Test
  void sumsMergeInAnyOrderAndGiveMillisecondsPerRow() {
    RunTimes a = new RunTimes();
    a.add(40_000_000, 20_000_000, 32);
    RunTimes b = new RunTimes();
    b.add(24_000_000, 12_000_000, 16);
    b.add(16_000_000, 8_000_000, 16);
    RunTimes ab = new RunTimes();
    ab.merge(a);
    ab.merge(b);
    RunTimes ba = new RunTimes();
    ba.merge(b);
    ba.merge(a);

    Latency.Comparison c = ab.comparison();
    assertThat(c.msPerRowA()).isEqualTo(80.0 / 64);
    assertThat(c.msPerRowB()).isEqualTo(40.0 / 64);
    assertThat(c.speedup()).isEqualTo(2.0);
    assertThat(c.rounds()).as("batches").isEqualTo(3);
    assertThat(ba.comparison()).isEqualTo(c);
    assertThat(ab.enough(80)).isTrue();
    assertThat(ab.enough(81)).as("80 ms of FP32 time in all").isFalse();
  }

  @Test
  void nothingTimedIsNoFigure() {
    RunTimes t = new RunTimes();
    assertThat(t.comparison()).isNull();
    assertThat(t.enough(0)).isFalse();
    assertThatThrownBy(() -> t.add(-1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.add(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
