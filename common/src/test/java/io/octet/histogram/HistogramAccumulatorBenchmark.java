package io.octet.histogram;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Throughput of {@link HistogramAccumulator#add(float[], int, int)} in ns per value, on 1M-value
 * batches, against a loop that only finds the batch's min and max (the floor for any one-pass
 * statistic over the same array) and a plain sum (memory bandwidth).
 *
 * <p>Run with {@code mvn -q -pl common test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.octet.histogram.HistogramAccumulatorBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HistogramAccumulatorBenchmark {
  private static final int BATCH = 1_000_000;

  /** Value distribution of the batch. */
  @Param({"uniform", "gaussian"})
  public String distribution;

  private float[] values;
  private HistogramAccumulator accumulator;

  /** Builds the batch and an accumulator that has already seen it (steady state: no regrid). */
  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom rnd = new SplittableRandom(2024);
    values =
        "uniform".equals(distribution)
            ? TestData.uniform(rnd, BATCH, -3, 5)
            : TestData.gaussian(rnd, BATCH, 0, 1);
    accumulator = new HistogramAccumulator(Histogram.DEFAULT_BINS);
    accumulator.add(values, 0, BATCH);
  }

  /**
   * Adds the whole batch; reported per value.
   *
   * @return the accumulator's count, so the work cannot be dropped
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long add() {
    accumulator.add(values, 0, BATCH);
    return accumulator.totalCount();
  }

  /**
   * Finds the batch's min and max only; reported per value.
   *
   * @param bh sink for the results
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void minMaxOnly(Blackhole bh) {
    float lo = Float.POSITIVE_INFINITY;
    float hi = Float.NEGATIVE_INFINITY;
    float[] v = values;
    for (int i = 0; i < v.length; i++) {
      float x = v[i];
      if (x < lo) {
        lo = x;
      }
      if (x > hi) {
        hi = x;
      }
    }
    bh.consume(lo);
    bh.consume(hi);
  }

  /**
   * Sums the batch: the memory-bandwidth reference, reported per value.
   *
   * @return the sum
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public float plainSum() {
    float s = 0;
    float[] v = values;
    for (int i = 0; i < v.length; i++) {
      s += v[i];
    }
    return s;
  }

  /**
   * Runs the benchmark.
   *
   * @param args unused
   * @throws RunnerException if JMH fails
   */
  public static void main(String[] args) throws RunnerException {
    // Under exec:java the JVM's class path is Maven's launcher, and JMH forks with that class path.
    // Hand the fork the class path of the loader that loaded this class instead.
    ClassLoader loader = HistogramAccumulatorBenchmark.class.getClassLoader();
    if (loader instanceof URLClassLoader) {
      List<String> entries = new ArrayList<>();
      for (URL url : ((URLClassLoader) loader).getURLs()) {
        try {
          entries.add(Paths.get(url.toURI()).toString());
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
          throw new IllegalStateException("Unusable class path entry " + url, e);
        }
      }
      System.setProperty("java.class.path", String.join(File.pathSeparator, entries));
    }
    new Runner(
            new OptionsBuilder()
                .include(HistogramAccumulatorBenchmark.class.getName().replace(".", "\\.") + "\\.")
                .build())
        .run();
  }
}
