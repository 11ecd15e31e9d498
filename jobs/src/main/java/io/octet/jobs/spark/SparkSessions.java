package io.octet.jobs.spark;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Builds the SparkSession: the one spark-submit set up, or a local one for bin/octet. */
public final class SparkSessions {
  /** glibc's environment variable for its mmap threshold (ignored by other C libraries). */
  static final String MMAP_THRESHOLD_ENV = "MALLOC_MMAP_THRESHOLD_";

  /** 1 MiB: blocks this large are mapped and unmapped, not kept in malloc's arenas. */
  static final String MMAP_THRESHOLD_BYTES = "1048576";

  private SparkSessions() {}

  /**
   * Returns a session. Under spark-submit the master is already set and is kept; otherwise a local
   * session with all cores is created (bin/octet on a laptop or a single VM).
   *
   * @param appName the application name
   * @param extra extra settings from the registry's {@code spark} section
   * @param hadoop Hadoop settings from the registry's {@code hadoop} section
   * @return the session
   */
  public static SparkSession getOrCreate(
      String appName, Map<String, String> extra, Map<String, String> hadoop) {
    return getOrCreate(appName, extra, hadoop, 0);
  }

  /**
   * Returns a session, as {@link #getOrCreate(String, Map, Map)}, with the registry's cap on the
   * ONNX Runtime sessions each executor keeps open.
   *
   * @param appName the application name
   * @param extra extra settings from the registry's {@code spark} section
   * @param hadoop Hadoop settings from the registry's {@code hadoop} section
   * @param executorSessions {@code run.executor-sessions}; 0 leaves the setting alone
   * @return the session
   */
  public static SparkSession getOrCreate(
      String appName, Map<String, String> extra, Map<String, String> hadoop, int executorSessions) {
    SparkConf conf = new SparkConf();
    if (executorSessions > 0) {
      // A --conf of the same key given to spark-submit wins.
      conf.setIfMissing(ExecutorModels.MAX_SESSIONS_KEY, Integer.toString(executorSessions));
    }
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
      conf.set("spark.ui.enabled", "false");
      conf.set("spark.driver.host", "127.0.0.1");
      conf.set("spark.driver.bindAddress", "127.0.0.1");
      conf.set("spark.sql.shuffle.partitions", "8");
      conf.set("spark.ui.showConsoleProgress", "true");
    }
    conf.setIfMissing("spark.app.name", appName);
    // glibc raises its mmap threshold as large blocks are freed, after which ONNX Runtime's
    // freed activations stay in the process (3.3 GB peak instead of 2.0 GB calibrating MiniLM
    // locally). A fixed threshold returns every block over 1 MiB to the OS on free. Executors
    // get it here; the local driver gets it from bin/octet; a --conf of the key wins.
    conf.setIfMissing("spark.executorEnv." + MMAP_THRESHOLD_ENV, MMAP_THRESHOLD_BYTES);
    // Concurrent models are concurrent Spark jobs; FAIR lets a short job pass a long one.
    conf.setIfMissing("spark.scheduler.mode", "FAIR");
    extra.forEach(conf::set);
    hadoop.forEach((k, v) -> conf.set("spark.hadoop." + k, v));
    return SparkSession.builder().config(conf).getOrCreate();
  }
}
