package io.octet.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.octet.error.QuantException;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
  private static final long GIB = 1L << 30;
  private static final long MIB = 1L << 20;

  @Test
  void splitsWhatHeapAndOverheadLeaveAmongSessionsAndTaskSlots() {
    MemoryBudget b = new MemoryBudget(12 * GIB, 6 * GIB, 768 * MIB, 2, "run.memory-budget");
    assertThat(b.nativeBytes()).isEqualTo(12 * GIB - 6 * GIB - 768 * MIB);
    long sessions = MemoryBudget.sessionAllowance(100 * MIB, 4);
    assertThat(sessions).isEqualTo(600 * MIB);
    long batches = b.batchBytes("m", 100 * MIB, 4);
    assertThat(batches).isEqualTo(b.nativeBytes() - sessions);
    assertThat(b.perTaskBytes(batches)).isEqualTo(batches / 2);
    assertThat(b.describe())
        .contains("12.00 GiB per executor (run.memory-budget)", "heap 6.00 GiB", "2 task slots");
  }

  @Test
  void aHeapThatTakesTheWholeBudgetFailsTheModelNamingBudgetAndFix() {
    MemoryBudget b = new MemoryBudget(6 * GIB, 6 * GIB, 768 * MIB, 1, "run.memory-budget");
    assertThatThrownBy(() -> b.batchBytes("bge", 133 * MIB, 4))
        .isInstanceOf(QuantException.class)
        .satisfies(
            e -> assertThat(((QuantException) e).kind()).isEqualTo(QuantException.Kind.MEMORY))
        .hasMessageContaining("Model 'bge'")
        .hasMessageContaining("6.00 GiB per executor (run.memory-budget)")
        .hasMessageContaining("run.memory-budget higher")
        .hasMessageContaining("spark.executor.memoryOverhead");
  }

  @Test
  void refusesBudgetsThatCannotBe() {
    assertThatThrownBy(() -> new MemoryBudget(0, 0, 0, 1, "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MemoryBudget(GIB, 0, 0, 0, "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MemoryBudget(GIB, 0, 0, 1, " "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void processMemoryReadsThisProcess() {
    long rss = ProcessMemory.rssBytes();
    long peak = ProcessMemory.peakRssBytes();
    if (rss > 0) { // Linux
      assertThat(peak).isGreaterThanOrEqualTo(rss);
    }
    assertThat(ProcessMemory.machineBytes()).isGreaterThan(0);
  }
}
