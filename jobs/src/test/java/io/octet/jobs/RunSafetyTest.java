package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import io.octet.publish.Publisher;
import io.octet.publish.RunIds;
import io.octet.storage.LocalObjectStore;
import io.octet.testing.TestModels;
import io.octet.util.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FullDiskFileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 through {@code Main.run} in local Spark: a reused run id, a model named twice, a full
 * disk during publish, partitions beyond the row count, and gates on models with several outputs.
 * Each asserts the exit code, the one-line message, what is published and where latest points.
 */
class RunSafetyTest extends SparkTestBase {
  @TempDir static Path dir;
  static Path calib;
  static Path test;
  static Path model;
  static Path twoOutputs;
  static String logits;

  @BeforeAll
  static void data() throws Exception {
    calib = TestData.writeDigits(spark, "calib", dir);
    test = TestData.writeDigits(spark, "test", dir);
    model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
    twoOutputs = dir.resolve("two-outputs.onnx");
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(model));
    logits = m.getGraph().getOutput(0).getName();
    Files.write(twoOutputs, TestModels.withFeaturesFirst(m).toByteArray());
  }

  static String entry(String name, Path onnx, String validationExtra) {
    return """
          "%s" {
            uri = "%s"
            calibration { dataset = "%s" }
            validation {
              dataset = "%s", latency-rows = 0, node-sqnr-rows = 0
              gate { max-accuracy-drop-points = 1 }
              %s
            }
            label-column = label
            id-column = id
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
          }
        """
        .formatted(
            name, TestData.uri(onnx), TestData.uri(calib), TestData.uri(test), validationExtra);
  }

  static Path registry(String warehouse, String extra, String... entries) throws IOException {
    Path p = Files.createTempFile(dir, "registry", ".conf");
    Files.writeString(
        p,
        "warehouse = \""
            + warehouse
            + "\"\nrun { parallel-models = 2, scratch-dir = \""
            + dir.resolve("scratch")
            + "\" }\n"
            + extra
            + "\nmodels {\n"
            + String.join("", entries)
            + "}\n");
    return p;
  }

  record Run(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  static Run main(String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Main.run(
            argv,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    Run r =
        new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    System.out.print(r.out());
    System.out.print(r.err());
    return r;
  }

  /** Every file under a directory with its bytes. */
  static Map<String, byte[]> snapshot(Path root) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  static JsonNode json(Path p) throws IOException {
    return Json.parse(Files.readAllBytes(p), p.toString());
  }

  static JsonNode model(JsonNode summary, String name) {
    for (JsonNode m : summary.path("models")) {
      if (m.path("name").asText().equals(name)) {
        return m;
      }
    }
    throw new AssertionError("no model " + name + " in " + summary);
  }

  @Test
  void aReusedRunIdFailsWithExit2BeforeTouchingThePublishedRun() throws Exception {
    Path wh = dir.resolve("wh-reuse");
    Path reg = registry(TestData.uri(wh), "", entry("digits", model, ""));
    String id = RunIds.next();
    assertThat(main("run", "--registry", reg.toString(), "--run-id", id).code()).isZero();
    Map<String, byte[]> before = snapshot(wh);

    Run again =
        main(
            "run",
            "--registry",
            reg.toString(),
            "--run-id",
            id,
            "--force",
            "--set",
            "quantization.method=minmax");

    assertThat(again.code()).as(again.all()).isEqualTo(2);
    assertThat(again.err())
        .contains("Run id '" + id + "' was already used")
        .doesNotContain("\tat ");
    Map<String, byte[]> after = snapshot(wh);
    assertThat(after.keySet()).as("no file added or removed").isEqualTo(before.keySet());
    for (String f : before.keySet()) {
      assertThat(after.get(f)).as(f).isEqualTo(before.get(f));
    }
    Publisher p = new Publisher(new LocalObjectStore(), TestData.uri(wh));
    assertThat(p.verifyPublished(p.latest("digits").orElseThrow().manifest())).isEmpty();
  }

  @Test
  void aModelNamedTwiceInModelsRunsOnceWithAWarning() throws Exception {
    Path wh = dir.resolve("wh-twice");
    Path reg = registry(TestData.uri(wh), "", entry("digits", model, ""));

    Run r = main("run", "--registry", reg.toString(), "--models", "digits,digits");

    assertThat(r.code()).as(r.all()).isZero();
    assertThat(r.out()).contains("--models names 'digits' more than once; it runs once");
    assertThat(r.out()).doesNotContain("FAILED");
    String runId;
    try (Stream<Path> s = Files.list(wh.resolve("_runs"))) {
      runId = s.findFirst().orElseThrow().getFileName().toString();
    }
    JsonNode summary = json(wh.resolve("_runs/" + runId + "/summary.json"));
    assertThat(summary.path("models")).hasSize(1);
    assertThat(json(wh.resolve("digits/latest")).path("run-id").asText()).isEqualTo(runId);
  }

  @Test
  void aFullDiskDuringPublishFailsOnlyThatModelAndTheSummaryIsStillWritten() throws Exception {
    Path wh = dir.resolve("wh-full");
    String warehouse = "fullfs://" + wh.toAbsolutePath();
    Path reg =
        registry(
            warehouse,
            "hadoop { \"fs.fullfs.impl\" = \"" + FullDiskFileSystem.class.getName() + "\" }",
            entry("digits", model, ""),
            entry("full", model, ""));
    String id = RunIds.next();
    FullDiskFileSystem.failingPart = "/full/1/";
    Run r;
    try {
      r = main("run", "--registry", reg.toString(), "--run-id", id);
    } finally {
      FullDiskFileSystem.failingPart = null;
    }

    assertThat(r.code()).as(r.all()).isEqualTo(1);
    String line =
        Arrays.stream(r.out().split("\n"))
            .filter(l -> l.contains("FAILED"))
            .findFirst()
            .orElseThrow();
    assertThat(line)
        .contains("[octet] full")
        .contains("publish: Model 'full'")
        .contains("full/1/" + id + "/")
        .contains("No space left on device");
    JsonNode summary = json(wh.resolve("_runs/" + id + "/summary.json"));
    assertThat(model(summary, "full").path("status").asText()).isEqualTo("failed");
    assertThat(model(summary, "digits").path("status").asText()).isEqualTo("passed");
    assertThat(wh.resolve("_runs/" + id + "/report.html")).exists();
    assertThat(wh.resolve("full/1/" + id)).as("nothing half-published").doesNotExist();
    assertThat(wh.resolve("full/latest")).doesNotExist();
    assertThat(json(wh.resolve("digits/latest")).path("run-id").asText()).isEqualTo(id);
  }

  @Test
  void partitionsBeyondTheRowCountAreCappedWithAWarning() throws Exception {
    Path wh = dir.resolve("wh-partitions");
    Path reg = registry(TestData.uri(wh), "", entry("digits", model, ""));

    Run r = main("run", "--registry", reg.toString(), "--set", "calibration.partitions=1000");

    assertThat(r.code()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("calibration.partitions = 1000 is more than the dataset's 179 rows")
        .contains("179 rows, 179 partitions");
  }

  @Test
  void labelsOutOfRangeAndValidatingOnTheCalibrationDataAreWarnedAbout() throws Exception {
    List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
    List<org.apache.spark.sql.Row> all = TestData.digitsRows("test");
    for (int i = 0; i < all.size(); i++) {
      org.apache.spark.sql.Row r = all.get(i);
      rows.add(org.apache.spark.sql.RowFactory.create(r.get(0), i < 7 ? 99 : r.get(1), r.get(2)));
    }
    Path badLabels = dir.resolve("digits-bad-labels");
    spark.createDataFrame(rows, TestData.DIGITS).write().parquet(TestData.uri(badLabels));
    Path wh = dir.resolve("wh-warnings");
    String sameData =
        entry("same-data", model, "")
            .replace(
                "dataset = \"" + TestData.uri(test) + "\"",
                "dataset = \"" + TestData.uri(calib) + "\"");
    String labels =
        entry("labels", model, "")
            .replace(
                "dataset = \"" + TestData.uri(test) + "\"",
                "dataset = \"" + TestData.uri(badLabels) + "\"");
    Path reg = registry(TestData.uri(wh), "", sameData, labels);

    Run r = main("run", "--registry", reg.toString());

    assertThat(r.out())
        .containsPattern(
            "\\[octet\\] same-data +warning +validation.dataset is the calibration dataset")
        .containsPattern(
            "\\[octet\\] labels +warning +7 of 539 labels in column .label. are no class index of output");
    JsonNode validation =
        json(
            Files.list(wh.resolve("labels/1"))
                .findFirst()
                .orElseThrow()
                .resolve("validation.json"));
    assertThat(validation.path("labels-out-of-range").asLong()).isEqualTo(7);
  }

  @Test
  void theGateIsComputedOnANamedOutputAndAZeroFp32AccuracyIsAConfigError() throws Exception {
    Path wh = dir.resolve("wh-outputs");
    Path reg =
        registry(
            TestData.uri(wh),
            "",
            entry("unnamed", twoOutputs, ""),
            entry("features", twoOutputs, "output = features"),
            entry("logits", twoOutputs, "output = \"" + logits + "\""));
    String id = RunIds.next();

    Run r = main("run", "--registry", reg.toString(), "--run-id", id);

    assertThat(r.code()).as(r.all()).isEqualTo(1);
    assertThat(r.out())
        .containsPattern(
            "\\[octet\\] unnamed +FAILED +validate: .*has 2 outputs.*validation.output")
        .containsPattern(
            "\\[octet\\] features +FAILED +validate: .*FP32 top-1 accuracy on output"
                + " 'features' is 0 %");
    JsonNode summary = json(wh.resolve("_runs/" + id + "/summary.json"));
    assertThat(model(summary, "logits").path("status").asText()).isEqualTo("passed");
    for (String failed : List.of("unnamed", "features")) {
      assertThat(model(summary, failed).path("status").asText()).isEqualTo("failed");
      assertThat(wh.resolve(failed + "/latest")).doesNotExist();
      assertThat(wh.resolve(failed + "/1/" + id)).doesNotExist();
    }
    JsonNode validation = json(wh.resolve("logits/1/" + id + "/validation.json"));
    assertThat(validation.path("output").asText()).isEqualTo(logits);
    assertThat(validation.path("output-rule").asText()).isEqualTo("validation.output");
  }
}
