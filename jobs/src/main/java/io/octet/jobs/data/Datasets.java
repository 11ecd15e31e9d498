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

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
