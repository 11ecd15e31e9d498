package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.config.ConfigLoader;
import io.octet.config.RegistryConfig;
import io.octet.jobs.pipeline.ModelOutcome;
import io.octet.jobs.pipeline.RunPipeline;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.publish.RunIds;
import io.octet.util.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline in local Spark over a registry with one good and several broken models. */
class PipelineTest extends SparkTestBase {
  @TempDir static Path dir;
  static Path calib;
  static Path test;
  static Path model;

  @BeforeAll
  static void data() throws Exception {
    calib = TestData.writeDigits(spark, "calib", dir);
    test = TestData.writeDigits(spark, "test", dir);
    model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
    Path corrupt = dir.resolve("corrupt.onnx");
    byte[] bytes = Files.readAllBytes(model);
    Files.write(corrupt, java.util.Arrays.copyOf(bytes, bytes.length / 2));
  }

  private static String registry(Path warehouse, String gate) {
    String entry =
        """
          %s {
            uri = "%s"
            quantization { mode = static }
            calibration { dataset = "%s" }
            validation { dataset = "%s", latency-rows = 16, latency-rounds = 1, gate { %s } }
            label-column = label
            id-column = id
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
          }
        """;
    return "warehouse = \""
        + TestData.uri(warehouse)
        + "\"\nmodels {\n"
        + entry.formatted(
            "digits", TestData.uri(model), TestData.uri(calib), TestData.uri(test), gate)
        + entry.formatted(
            "corrupt",
            TestData.uri(dir.resolve("corrupt.onnx")),
            TestData.uri(calib),
            TestData.uri(test),
            "")
        + entry.formatted(
            "missing",
            TestData.uri(dir.resolve("nope.onnx")),
            TestData.uri(calib),
            TestData.uri(test),
            "")
        + """
          wrong-column {
            uri = "%s"
            calibration { dataset = "%s" }
            validation { dataset = "%s" }
            inputs = [ { name = image, column = pixels, dtype = float32, shape = [1, 8, 8] } ]
          }
        """
            .formatted(TestData.uri(model), TestData.uri(calib), TestData.uri(test))
        + "}\n";
  }

  private static RunPipeline.Result run(
      Path warehouse, String gate, List<String> models, boolean force, List<String> sets) {
    RegistryConfig reg =
        ConfigLoader.load(
            registry(warehouse, gate),
            "test-registry.conf",
            sets,
            Map.of(),
            new java.util.Properties());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RunPipeline.Result r =
        new RunPipeline(spark, reg, store, new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(RunIds.next(), models, force);
    System.out.print(out.toString(StandardCharsets.UTF_8));
    return r;
  }

  @Test
  void goodModelPublishesWhileBrokenOnesFailWithClearErrors() throws Exception {
    Path warehouse = dir.resolve("wh1");
    RunPipeline.Result r =
        run(warehouse, "max-accuracy-drop-points = 0.5", List.of(), false, List.of());
    Map<String, ModelOutcome> by =
        r.models().stream().collect(Collectors.toMap(ModelOutcome::name, m -> m));

    assertThat(r.ok()).as("a failed model makes the run not ok").isFalse();
    assertThat(by.get("digits").status()).isEqualTo(ModelOutcome.PASSED);
    assertThat(by.get("digits").validation().metrics().accuracyDropPoints())
        .isLessThanOrEqualTo(0.5);
    assertThat(by.get("corrupt").status()).isEqualTo(ModelOutcome.FAILED);
    assertThat(by.get("corrupt").error().message()).contains("corrupt").contains("truncated");
    assertThat(by.get("missing").error().message())
        .contains("nope.onnx")
        .contains("does not exist");
    assertThat(by.get("wrong-column").error().message())
        .contains("wrong-column")
        .contains("no column 'pixels'")
        .contains("image");

    String prefix = by.get("digits").artifacts().get("prefix");
    for (String f :
        List.of(
            "model.int8.onnx",
            "calibration.json",
            "validation.json",
            "report.html",
            "manifest.json")) {
      assertThat(warehouse.resolve(prefix).resolve(f)).as(f).exists();
    }
    JsonNode latest = Json.parse(Files.readAllBytes(warehouse.resolve("digits/latest")), "latest");
    assertThat(latest.path("run-id").asText()).isEqualTo(r.runId());
    assertThat(warehouse.resolve("corrupt/latest")).doesNotExist();
    JsonNode summary =
        Json.parse(
            Files.readAllBytes(warehouse.resolve("_runs/" + r.runId() + "/summary.json")),
            "summary");
    assertThat(summary.path("models")).hasSize(4);
    assertThat(warehouse.resolve("_runs/" + r.runId() + "/report.html")).exists();
    assertThat(warehouse.resolve("_staging"))
        .as("staging is cleaned up")
        .satisfiesAnyOf(p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());

    RunPipeline.Result again =
        run(warehouse, "max-accuracy-drop-points = 0.5", List.of("digits"), false, List.of());
    assertThat(again.models().get(0).status())
        .as("unchanged inputs are skipped")
        .isEqualTo(ModelOutcome.SKIPPED);
    assertThat(again.ok()).isTrue();

    RunPipeline.Result forced =
        run(warehouse, "max-accuracy-drop-points = 0.5", List.of("digits"), true, List.of());
    assertThat(forced.models().get(0).status()).isEqualTo(ModelOutcome.PASSED);
    byte[] first = Files.readAllBytes(warehouse.resolve(prefix).resolve("model.int8.onnx"));
    byte[] second =
        Files.readAllBytes(
            warehouse
                .resolve(forced.models().get(0).artifacts().get("prefix"))
                .resolve("model.int8.onnx"));
    assertThat(first.length)
        .as("a forced rerun converges to the same model")
        .isEqualTo(second.length);
  }

  @Test
  void aModelThatCannotFitTheMemoryBudgetFailsAloneNamingBudgetAndSetting() throws Exception {
    Path warehouse = dir.resolve("wh-memory");
    // Room for the heap, the JVM and 100 MiB: the digits CNN's sessions and batches fit, four
    // sessions of MiniLM (90 MB of weights) do not.
    long budget = Runtime.getRuntime().maxMemory() + (868L << 20);
    String text =
        registry(warehouse, "").replaceFirst("\\}\\s*$", "")
            + """
              minilm {
                uri = "%s"
                calibration { dataset = "%s" }
                validation { dataset = "%s" }
              }
            }
            """
                .formatted(
                    TestData.uri(io.octet.testing.MiniLmData.fp32Model()),
                    TestData.uri(calib),
                    TestData.uri(test));
    RegistryConfig reg =
        ConfigLoader.load(
            text,
            "test-registry.conf",
            List.of("run.memory-budget=" + budget + "b"),
            Map.of(),
            new java.util.Properties());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RunPipeline.Result r =
        new RunPipeline(spark, reg, store, new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(RunIds.next(), List.of("digits", "minilm"), false);
    String console = out.toString(StandardCharsets.UTF_8);
    System.out.print(console);
    Map<String, ModelOutcome> by =
        r.models().stream().collect(Collectors.toMap(ModelOutcome::name, m -> m));
    assertThat(by.get("digits").status()).isEqualTo(ModelOutcome.PASSED);
    assertThat(by.get("minilm").status()).isEqualTo(ModelOutcome.FAILED);
    assertThat(by.get("minilm").error().message())
        .contains("Model 'minilm'")
        .contains("4 open ONNX Runtime sessions of this model")
        .contains("per executor (run.memory-budget)")
        .contains("set run.memory-budget higher");
    assertThat(console).contains("[octet] memory budget: ").contains("(run.memory-budget)");
    JsonNode summary = Json.parse(store.readBytes(r.summaryUri()), "summary");
    assertThat(summary.path("memory").path("budget-bytes").asLong()).isEqualTo(budget);
    assertThat(summary.path("memory").path("budget-source").asText())
        .isEqualTo("run.memory-budget");
    assertThat(summary.path("memory").path("peak-rss-bytes").asLong()).isPositive();
  }

  @Test
  void aModelThatMissesItsGateIsPublishedButNotPromoted() throws Exception {
    Path warehouse = dir.resolve("wh2");
    RunPipeline.Result ok = run(warehouse, "", List.of("digits"), false, List.of());
    assertThat(ok.models().get(0).status()).isEqualTo(ModelOutcome.PASSED);
    RunPipeline.Result r = run(warehouse, "min-sqnr-db = 200", List.of("digits"), false, List.of());
    ModelOutcome m = r.models().get(0);
    assertThat(m.status()).isEqualTo(ModelOutcome.GATE_FAILED);
    assertThat(m.note()).contains("SQNR");
    assertThat(m.latestMoved()).isFalse();
    JsonNode latest = Json.parse(Files.readAllBytes(warehouse.resolve("digits/latest")), "latest");
    assertThat(latest.path("run-id").asText())
        .as("latest stays on the last good run")
        .isEqualTo(ok.runId());
    assertThat(warehouse.resolve(m.artifacts().get("manifest"))).exists();
  }
}
