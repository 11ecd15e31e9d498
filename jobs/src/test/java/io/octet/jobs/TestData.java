package io.octet.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Writes the committed digits data as Parquet for Spark tests. */
final class TestData {
  private TestData() {}

  static final StructType DIGITS =
      new StructType()
          .add("id", DataTypes.StringType, false)
          .add("label", DataTypes.IntegerType, false)
          .add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  static List<Row> digitsRows(String split) throws java.io.IOException {
    List<String> lines =
        Files.readAllLines(SparkTestBase.repoRoot().resolve("models/digits-cnn/digits.csv"));
    List<Row> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      if (!f[1].equals(split)) {
        continue;
      }
      Float[] px = new Float[64];
      for (int i = 0; i < 64; i++) {
        px[i] = Float.parseFloat(f[3 + i]);
      }
      rows.add(RowFactory.create(f[0], Integer.parseInt(f[2]), px));
    }
    return rows;
  }

  static Path writeDigits(SparkSession spark, String split, Path dir) throws java.io.IOException {
    Path out = dir.resolve("digits-" + split);
    spark
        .createDataFrame(digitsRows(split), DIGITS)
        .coalesce(3)
        .write()
        .parquet(out.toUri().toString());
    return out;
  }

  static String uri(Path p) {
    return p.toAbsolutePath().toUri().toString();
  }
}
