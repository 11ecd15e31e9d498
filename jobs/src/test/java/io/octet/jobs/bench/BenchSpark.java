package io.octet.jobs.bench;

import org.apache.spark.sql.SparkSession;

/** The local Spark session every bench runs in: 2 task slots on loopback, no UI, warnings only. */
final class BenchSpark {
  private BenchSpark() {}

  static SparkSession local() {
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }
}
