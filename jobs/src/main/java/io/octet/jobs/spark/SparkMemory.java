package io.octet.jobs.spark;

import io.octet.memory.MemoryBudget;
import io.octet.memory.ProcessMemory;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/** Derives an executor's {@link MemoryBudget} from Spark's settings (reference.conf explains). */
public final class SparkMemory {
  /** Share of the machine's memory an auto budget takes where no container limits the JVM. */
  static final double MACHINE_SHARE = 0.75;

  private static final long MIN_OVERHEAD = 384L << 20;

  private SparkMemory() {}

  /**
   * Returns the budget of one executor (the driver, in local mode).
   *
   * @param sc the running context
   * @param explicitBytes {@code run.memory-budget} in bytes, 0 for auto
   * @return the budget
   */
  public static MemoryBudget budget(SparkContext sc, long explicitBytes) {
    SparkConf conf = sc.getConf();
    String master = sc.master().toLowerCase(Locale.ROOT);
    boolean local = master.startsWith("local");
    long heap =
        local
            ? Runtime.getRuntime().maxMemory()
            : conf.getSizeAsBytes("spark.executor.memory", "1g");
    int slots = taskSlots(sc, conf, local, master);
    long process;
    String source;
    if (explicitBytes > 0) {
      process = explicitBytes;
      source = "run.memory-budget";
    } else if (master.equals("yarn") || master.startsWith("k8s://")) {
      long overhead = overhead(conf, heap);
      process = heap + overhead;
      source =
          "spark.executor.memory + spark.executor.memoryOverhead, the container limit "
              + master.replaceFirst("://.*", "");
    } else {
      process = (long) (MACHINE_SHARE * ProcessMemory.machineBytes());
      source =
          Math.round(MACHINE_SHARE * 100) + "% of this machine's memory, run.memory-budget = auto";
    }
    return new MemoryBudget(process, heap, MemoryBudget.DEFAULT_JVM_OVERHEAD, slots, source);
  }

  /** Spark's own rule for the executor memory overhead when none is set. */
  static long overhead(SparkConf conf, long heap) {
    if (conf.contains("spark.executor.memoryOverhead")) {
      return conf.getSizeAsMb("spark.executor.memoryOverhead", "384") << 20;
    }
    // In whole MiB, as Spark computes it.
    double factor = conf.getDouble("spark.executor.memoryOverheadFactor", 0.10);
    return Math.max(MIN_OVERHEAD, ((long) (factor * (heap >> 20))) << 20);
  }

  private static int taskSlots(SparkContext sc, SparkConf conf, boolean local, String master) {
    int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
    if (local) {
      return Math.max(1, sc.defaultParallelism() / taskCpus);
    }
    if (conf.contains("spark.executor.cores")) {
      return Math.max(1, conf.getInt("spark.executor.cores", 1) / taskCpus);
    }
    if (master.equals("yarn")) {
      return 1;
    }
    // Standalone without spark.executor.cores: an executor takes all of its worker's cores.
    int executors = Math.max(1, sc.statusTracker().getExecutorInfos().length - 1);
    return Math.max(1, sc.defaultParallelism() / executors / taskCpus);
  }

  /**
   * Returns the line that reports this JVM's peak resident memory against the budget, where the
   * driver is the only executor (local mode) and the OS reports it; empty otherwise.
   *
   * @param sc the running context
   * @param budget the budget
   * @return "[octet] memory: peak resident 5.1 GiB of the 17.66 GiB budget", or empty
   */
  public static java.util.Optional<String> peakLine(SparkContext sc, MemoryBudget budget) {
    long peak = ProcessMemory.peakRssBytes();
    if (peak <= 0 || !sc.isLocal()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        "[octet] memory: peak resident "
            + io.octet.error.QuantErrors.bytes(peak)
            + " of the "
            + io.octet.error.QuantErrors.bytes(budget.processBytes())
            + " budget");
  }
}
