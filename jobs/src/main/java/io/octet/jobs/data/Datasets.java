package io.octet.jobs.data;

import io.octet.error.QuantErrors;
import io.octet.storage.Uris;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;

/** Reads model datasets (Parquet) and hands their rows to tasks as internal rows. */
public final class Datasets {
  private Datasets() {}

  /**
   * Reads a Parquet dataset, limited and repartitioned.
   *
   * @param spark the session
   * @param model the model's name, for errors
   * @param uri the dataset URI (file or directory)
   * @param maxRows at most this many rows (0 = all); ordered by the id column first when there is
   *     one, so the same rows are picked every run
   * @param idColumn the id column or null
   * @return the dataset
   */
  public static Dataset<Row> read(
      SparkSession spark, String model, String uri, long maxRows, String idColumn) {
    Dataset<Row> ds;
    try {
      ds = spark.read().parquet(Uris.normalize(uri));
    } catch (Exception e) { // Spark throws its checked AnalysisException undeclared
      if (e instanceof AnalysisException
          || String.valueOf(e.getMessage()).contains("PATH_NOT_FOUND")) {
        throw QuantErrors.badData(
            model,
            "dataset "
                + Uris.redact(uri)
                + " does not exist or is not Parquet ("
                + firstLine(e)
                + ")",
            "Check the dataset URI in the registry.");
      }
      throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
    }
    if (maxRows > 0) {
      ds =
          (idColumn != null ? ds.orderBy(idColumn) : ds)
              .limit((int) Math.min(Integer.MAX_VALUE, maxRows));
    }
    return ds;
  }

  /**
   * Repartitions and returns internal rows, whose array columns tasks copy out without boxing.
   *
   * @param ds the dataset
   * @param partitions the number of partitions (0 = the session's default parallelism)
   * @return the rows
   */
  public static JavaRDD<InternalRow> internalRows(Dataset<Row> ds, int partitions) {
    int n = partitions > 0 ? partitions : ds.sparkSession().sparkContext().defaultParallelism();
    return ds.repartition(n).queryExecution().toRdd().toJavaRDD();
  }

  /**
   * The partitions a stage uses: {@code requested} (0 = the session's default parallelism), capped
   * at the dataset's row count, since a partition without rows is only an empty task (100,000
   * partitions over 179 rows would start 100,000 tasks). The rows are counted only when more
   * partitions are asked for than the session's default parallelism, so the usual case costs no
   * extra pass.
   *
   * @param ds the dataset (after max-rows)
   * @param requested the configured partitions
   * @param key the config key, for the warning
   * @param warn where the warning goes when the cap applies
   * @return the partitions to use, at least 1
   */
  public static int partitions(
      Dataset<Row> ds, int requested, String key, java.util.function.Consumer<String> warn) {
    int slots = ds.sparkSession().sparkContext().defaultParallelism();
    if (requested <= 0) {
      return slots;
    }
    if (requested <= slots) {
      return requested;
    }
    long rows = ds.count();
    if (requested <= rows) {
      return requested;
    }
    int capped = (int) Math.max(1, rows);
    warn.accept(
        key
            + " = "
            + requested
            + " is more than the dataset's "
            + rows
            + " rows; using "
            + capped
            + " partitions (partitions are capped at the row count)");
    return capped;
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
