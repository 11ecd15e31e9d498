package io.octet.it.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.sum;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * A tiny Spark application the integration tests submit to the standalone cluster: writes {@code
 * rows} rows {@code (id, value = 3 * id + 1)} in {@code partitions} partitions as Parquet to {@code
 * outputUri}, reads them back and checks count, distinct ids and the sum of values.
 *
 * <p>Each write task first sleeps {@code sleepMsPerPartition}, so a test can kill an executor while
 * the stage runs. The driver prints lines starting with {@value #PREFIX} for the test to parse, and
 * exits non-zero when the data read back is wrong.
 *
 * <p>Usage: {@code ParquetRoundTripJob <outputUri> <rows> <partitions> <sleepMsPerPartition>}
 */
public final class ParquetRoundTripJob {
  /** Prefix of every line the tests parse. */
  public static final String PREFIX = "OCTET-IT ";

  private ParquetRoundTripJob() {}

  /** Runs the job; see the class comment for the arguments. */
  public static void main(String[] args) {
    if (args.length != 4) {
      throw new IllegalArgumentException(
          "Usage: ParquetRoundTripJob <outputUri> <rows> <partitions> <sleepMsPerPartition>");
    }
    String output = args[0];
    long rows = Long.parseLong(args[1]);
    int partitions = Integer.parseInt(args[2]);
    long sleepMs = Long.parseLong(args[3]);

    SparkSession spark = SparkSession.builder().appName("octet-it-parquet-roundtrip").getOrCreate();
    try {
      Set<String> executorsWithTasks = ConcurrentHashMap.newKeySet();
      spark
          .sparkContext()
          .addSparkListener(
              new SparkListener() {
                @Override
                public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
                  if (taskEnd.taskInfo().successful()) {
                    executorsWithTasks.add(taskEnd.taskInfo().executorId());
                  }
                }
              });
      System.out.println(PREFIX + "app-id=" + spark.sparkContext().applicationId());

      MapPartitionsFunction<Long, Long> slow =
          ids -> {
            Thread.sleep(sleepMs);
            return ids;
          };
      spark
          .range(0, rows, 1, partitions)
          .mapPartitions(slow, Encoders.LONG())
          .toDF("id")
          .withColumn("value", col("id").multiply(3).plus(1))
          .write()
          .mode(SaveMode.Overwrite)
          .parquet(output);

      Row result =
          spark
              .read()
              .parquet(output)
              .agg(count(col("id")), countDistinct(col("id")), sum(col("value")))
              .first();
      long count = result.getLong(0);
      long distinct = result.getLong(1);
      long valueSum = result.getLong(2);
      long expectedSum = 3 * rows * (rows - 1) / 2 + rows;

      System.out.println(PREFIX + "rows=" + count + " distinct=" + distinct + " sum=" + valueSum);
      // Listener events arrive asynchronously; the bus is drained when the context stops, but the
      // last stage's tasks are long reported by now.
      System.out.println(PREFIX + "executors-with-tasks=" + new TreeSet<>(executorsWithTasks));
      if (count != rows || distinct != rows || valueSum != expectedSum) {
        throw new IllegalStateException(
            "Wrong data read back from "
                + output
                + ": rows="
                + count
                + ", distinct="
                + distinct
                + ", sum="
                + valueSum
                + "; expected "
                + rows
                + ", "
                + rows
                + ", "
                + expectedSum);
      }
      System.out.println(PREFIX + "ok");
    } finally {
      spark.stop();
    }
  }
}
