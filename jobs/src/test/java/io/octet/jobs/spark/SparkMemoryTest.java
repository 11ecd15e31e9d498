package io.octet.jobs.spark;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.jobs.SparkTestBase;
import io.octet.memory.MemoryBudget;
import io.octet.memory.ProcessMemory;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class SparkMemoryTest extends SparkTestBase {
  private static final long MIB = 1L << 20;

  @Test
  void overheadFollowsSparksRuleUnlessSet() {
    assertThat(SparkMemory.overhead(new SparkConf(false), 1024 * MIB)).isEqualTo(384 * MIB);
    assertThat(SparkMemory.overhead(new SparkConf(false), 8192 * MIB)).isEqualTo(819 * MIB);
    SparkConf factor = new SparkConf(false).set("spark.executor.memoryOverheadFactor", "0.4");
    assertThat(SparkMemory.overhead(factor, 8192 * MIB)).isEqualTo(3276 * MIB);
    SparkConf set = new SparkConf(false).set("spark.executor.memoryOverhead", "3g");
    assertThat(SparkMemory.overhead(set, 8192 * MIB)).isEqualTo(3072 * MIB);
  }

  @Test
  void localModeTakesThisJvmsHeapAndTaskThreads() {
    MemoryBudget auto = SparkMemory.budget(spark.sparkContext(), 0);
    assertThat(auto.heapBytes()).isEqualTo(Runtime.getRuntime().maxMemory());
    assertThat(auto.taskSlots()).isEqualTo(2); // local[2,2]
    assertThat(auto.processBytes())
        .isEqualTo((long) (SparkMemory.MACHINE_SHARE * ProcessMemory.machineBytes()));
    assertThat(auto.source()).contains("75% of this machine's memory");

    MemoryBudget set = SparkMemory.budget(spark.sparkContext(), 12L << 30);
    assertThat(set.processBytes()).isEqualTo(12L << 30);
    assertThat(set.source()).isEqualTo("run.memory-budget");
  }
}
