package io.octet.jobs;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * One local Spark session for a test class: two cores, loopback, UI off, four shuffle partitions,
 * and two attempts per task so a test can make a task fail once and retry.
 */
@Tag("spark")
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2,2]")
            .appName("octet-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }

  /**
   * Returns the repository root (holding models/).
   *
   * @return the root
   */
  protected static Path repoRoot() {
    return io.octet.testing.DigitsData.repoRoot();
  }
}
