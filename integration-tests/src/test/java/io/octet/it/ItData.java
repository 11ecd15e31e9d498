package io.octet.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The real models and datasets the end-to-end tests put in the bucket, prepared locally once per
 * build under {@code target/it-data/}:
 *
 * <ul>
 *   <li>all-MiniLM-L6-v2 (FP32, from the langchain4j jar) with tokenized Europarl passages and the
 *       digits CNN with its labelled images: {@code bin/octet prepare-demo}, exactly what the
 *       README's demo uses;
 *   <li>PP-OCRv4 text detection from the rapidocr-onnxruntime wheel ({@code models/third}) with its
 *       Parquet crops made by {@code models/third/prepare.py};
 *   <li>small digits datasets written here, for the bad-input cases (wrong dtype, wrong shape,
 *       empty, NaN/Inf).
 * </ul>
 */
final class ItData {
  /** Digits CSV split used for calibration. */
  static final String DIGITS_CALIB = "calib";

  /** Digits CSV split used for validation. */
  static final String DIGITS_TEST = "test";

  /** Spark's Parquet layout for the digits rows (what {@code DemoData} writes). */
  static final MessageType DIGITS_SCHEMA =
      MessageTypeParser.parseMessageType(
          "message spark_schema { required binary id (STRING); required int32 label;"
              + " required group image (LIST) { repeated group list { required float element; } } }");

  private ItData() {}

  /** A labelled 8×8 digit image. */
  record Digit(String id, int label, float[] pixels) {}

  /** The files {@code bin/octet prepare-demo} wrote. */
  record Demo(
      Path dir,
      Path minilmModel,
      Path minilmCalibration,
      Path minilmValidation,
      Path digitsModel,
      Path digitsCalibration,
      Path digitsValidation) {}

  /** The third model's files. */
  record Ppocr(Path model, Path calibration, Path validation) {}

  /** Returns the committed digits CNN. */
  static Path digitsModel() {
    return ItPaths.repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
  }

  /** Reads one split of {@code models/digits-cnn/digits.csv}. */
  static List<Digit> digits(String split) {
    try {
      List<String> lines =
          Files.readAllLines(ItPaths.repoRoot().resolve("models/digits-cnn/digits.csv"));
      List<Digit> out = new ArrayList<>();
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        if (!f[1].equals(split)) {
          continue;
        }
        float[] px = new float[64];
        for (int i = 0; i < 64; i++) {
          px[i] = Float.parseFloat(f[3 + i]);
        }
        out.add(new Digit(f[0], Integer.parseInt(f[2]), px));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes digits rows as a one-file Parquet dataset (Spark's layout: id, label, image).
   *
   * @param file the Parquet file
   * @param rows the rows
   * @return the file
   */
  static Path writeDigits(Path file, List<Digit> rows) {
    return writeParquet(
        file,
        DIGITS_SCHEMA,
        rows,
        (d, g) -> {
          g.append("id", d.id()).append("label", d.label());
          Group list = g.addGroup("image");
          for (float p : d.pixels()) {
            list.addGroup("list").append("element", p);
          }
        });
  }

  /** Writes rows with a schema and a filler, replacing the file. */
  static <T> Path writeParquet(
      Path file, MessageType schema, List<T> rows, java.util.function.BiConsumer<T, Group> fill) {
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      SimpleGroupFactory factory = new SimpleGroupFactory(schema);
      try (ParquetWriter<Group> writer =
          ExampleParquetWriter.builder(new LocalOutputFile(file)).withType(schema).build()) {
        for (T row : rows) {
          Group g = factory.newGroup();
          fill.accept(row, g);
          writer.write(g);
        }
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  /**
   * Reads every row of a Parquet file or directory of part files (sorted by name).
   *
   * @param fileOrDir the dataset
   * @param map turns a row into the value kept
   * @return the mapped rows, in file order
   */
  static <T> List<T> readParquet(Path fileOrDir, Function<Group, T> map) {
    List<Path> files = parquetFiles(fileOrDir);
    List<T> out = new ArrayList<>();
    for (Path f : files) {
      try (ParquetReader<Group> reader =
          ParquetReader.builder(new GroupReadSupport(), new org.apache.hadoop.fs.Path(f.toUri()))
              .withConf(new Configuration())
              .build()) {
        for (Group g = reader.read(); g != null; g = reader.read()) {
          out.add(map.apply(g));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + f, e);
      }
    }
    return out;
  }

  /** Returns the Parquet part files of a dataset: the file itself or its visible *.parquet. */
  static List<Path> parquetFiles(Path fileOrDir) {
    if (Files.isRegularFile(fileOrDir)) {
      return List.of(fileOrDir);
    }
    try (Stream<Path> s = Files.list(fileOrDir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a list column (Parquet's 3-level LIST) of floats. */
  static float[] floatList(Group row, String column) {
    Group list = row.getGroup(column, 0);
    int n = list.getFieldRepetitionCount(0);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = list.getGroup(0, i).getFloat(0, 0);
    }
    return out;
  }

  /** Reads a list column (Parquet's 3-level LIST) of longs. */
  static long[] longList(Group row, String column) {
    Group list = row.getGroup(column, 0);
    int n = list.getFieldRepetitionCount(0);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = list.getGroup(0, i).getLong(0, 0);
    }
    return out;
  }

  /**
   * Runs {@code bin/octet prepare-demo} once per build into {@code target/it-data/demo} (the demo's
   * own preparation is skipped when its registry exists) and returns what it wrote.
   */
  static synchronized Demo demo() {
    Path dir = ItPaths.targetDir().resolve("it-data/demo");
    if (!Files.isRegularFile(dir.resolve("registry.conf"))) {
      Path log = ItPaths.dataDir("logs").resolve("prepare-demo.log");
      Process p =
          ItProcesses.start(
              List.of(
                  ItPaths.repoRoot().resolve("bin/octet").toString(),
                  "prepare-demo",
                  "--dir",
                  dir.toString(),
                  "--warehouse",
                  dir.resolve("unused-warehouse").toString()),
              Map.of("OCTET_DRIVER_MEMORY", "2g", "SPARK_LOCAL_IP", ItProcesses.LOOPBACK),
              ItPaths.repoRoot(),
              log);
      await(p, Duration.ofMinutes(5), log);
    }
    Path data = dir.resolve("data");
    return new Demo(
        dir,
        dir.resolve("models/all-minilm-l6-v2.onnx"),
        data.resolve("minilm/calibration"),
        data.resolve("minilm/validation"),
        dir.resolve("models/digits_cnn.onnx"),
        data.resolve("digits/calibration"),
        data.resolve("digits/validation"));
  }

  /**
   * Returns PP-OCRv4 detection as the rapidocr-onnxruntime wheel ships it (weights in {@code
   * Constant} nodes, as paddle2onnx exports them; Octet folds them before quantizing) and its data.
   */
  static Ppocr ppocr() {
    Path dataDir = ItPaths.thirdModelDataDir();
    return new Ppocr(
        ItPaths.repoRoot().resolve("models/third/ppocr_det_v4.onnx"),
        dataDir.resolve("data/calib.parquet"),
        dataDir.resolve("data/val.parquet"));
  }

  /** Deletes a directory tree (no error when absent). */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String text(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void await(Process p, Duration timeout, Path log) {
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        ItProcesses.kill(p);
        throw new IllegalStateException(
            "Timed out preparing data; end of " + log + ":\n" + ItProcesses.tail(log, 40));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "Preparing data failed (exit "
              + p.exitValue()
              + "); end of "
              + log
              + ":\n"
              + ItProcesses.tail(log, 40));
    }
  }
}
