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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Auto mode, the default, on a real model in local Spark: candidates derived from the graph, scored
 * and timed, the fastest passing one published with every candidate's figures; explicit settings
 * still win; without calibration data only the recipes that need none are tried.
 */
class AutoPipelineTest extends SparkTestBase {
  @TempDir Path dir;

  private RunPipeline.Result run(String models, Path warehouse, ByteArrayOutputStream out) {
    String registry =
        "warehouse = \"" + TestData.uri(warehouse) + "\"\nmodels {\n" + models + "}\n";
    RegistryConfig reg =
        ConfigLoader.load(registry, "auto.conf", List.of(), Map.of(), new java.util.Properties());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of());
    RunPipeline.Result r =
        new RunPipeline(spark, reg, store, new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(RunIds.next(), List.of(), false);
    System.out.print(out.toString(StandardCharsets.UTF_8));
    return r;
  }

  private static String entry(String name, Path model, String calib, Path test, String extra) {
    return """
      %s {
        uri = "%s"
        %s
        validation { dataset = "%s", latency-rows = 8, latency-rounds = 1, node-sqnr-rows = 0 }
        quantization.auto { latency-rows = 8 }
        label-column = label
        id-column = id
        inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
        %s
      }
    """
        .formatted(
            name,
            TestData.uri(model),
            calib == null ? "" : "calibration { dataset = \"" + calib + "\" }",
            TestData.uri(test),
            extra);
  }

  @Test
  void theDefaultsSearchRecipesAndPublishTheFastestThatPassesWithEveryCandidatesFigures()
      throws Exception {
    Path calib = TestData.writeDigits(spark, "calib", dir);
    Path test = TestData.writeDigits(spark, "test", dir);
    Path model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
    Path warehouse = dir.resolve("wh");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RunPipeline.Result r =
        run(entry("digits", model, TestData.uri(calib), test, ""), warehouse, out);
    String console = out.toString(StandardCharsets.UTF_8);

    ModelOutcome m = r.models().get(0);
    assertThat(m.status()).as(m.note()).isEqualTo(ModelOutcome.PASSED);
    assertThat(m.stages()).containsKey("auto").doesNotContainKey("calibrate");
    assertThat(console).contains("candidate recipes").contains("calibrated ").contains("chose ");
    JsonNode auto = m.auto();
    assertThat(auto).isNotNull();
    List<String> labels = new ArrayList<>();
    auto.path("candidates").forEach(c -> labels.add(c.path("label").asText()));
    // A conv net: its weight-bearing ops and the full op set per method, fp16 always (its head is
    // a Gemm, which dynamic quantization would leave in FP32).
    assertThat(labels)
        .contains("static-conv/percentile", "static-full/percentile", "static-full/mse", "fp16")
        .doesNotContain("static-transformer/percentile", "dynamic");
    assertThat(auto.path("graph").path("convolutions").asInt()).isPositive();
    assertThat(auto.path("graph").path("attention").asBoolean()).isFalse();
    assertThat(auto.path("timed-on").path("flags").size()).isPositive();
    double fastestPassing = 0;
    int chosen = 0;
    JsonNode pick = null;
    for (JsonNode c : auto.path("candidates")) {
      assertThat(c.has("error")).as(c.toString()).isFalse();
      assertThat(c.path("metrics").path("rows").asLong()).as(c.toString()).isPositive();
      assertThat(c.path("speedup").asDouble()).as(c.toString()).isPositive();
      assertThat(c.path("bytes").asLong()).as(c.toString()).isPositive();
      if (c.path("passed").asBoolean()) {
        fastestPassing = Math.max(fastestPassing, c.path("speedup").asDouble());
      }
      if (c.path("chosen").asBoolean()) {
        chosen++;
        pick = c;
      }
    }
    assertThat(chosen).isEqualTo(1);
    assertThat(pick.path("passed").asBoolean()).isTrue();
    // The fastest passing candidate, up to the tie margin.
    assertThat(pick.path("speedup").asDouble())
        .isGreaterThanOrEqualTo(fastestPassing * (1 - auto.path("speed-tie").asDouble()));
    assertThat(m.mode()).isEqualTo(pick.path("mode").asText());
    // With labels and no gate of its own, the model is held to the default accuracy gate.
    assertThat(m.gate().maxAccuracyDropPoints()).isEqualTo(1.0);

    String prefix = m.artifacts().get("prefix");
    Path published = warehouse.resolve(prefix);
    assertThat(published.resolve("auto.json")).exists();
    JsonNode manifest = Json.parse(Files.readAllBytes(published.resolve("manifest.json")), "m");
    assertThat(manifest.path("auto").path("candidates").size()).isEqualTo(labels.size());
    assertThat(manifest.path("config").path("quantization").path("mode").asText())
        .isEqualTo("auto");
    assertThat(manifest.path("mode").asText()).isEqualTo(pick.path("mode").asText());
    assertThat(Files.exists(published.resolve("calibration.json")))
        .isEqualTo(pick.path("mode").asText().equals("static"));
    String report = Files.readString(published.resolve("report.html"));
    assertThat(report).contains("Auto mode: candidates").contains("auto-tradeoff");
    for (String l : labels) {
      assertThat(report).contains(l);
    }
  }

  @Test
  void explicitRecipesWinAndWithoutCalibrationDataOnlyRecipesThatNeedNoneAreTried()
      throws Exception {
    Path test = TestData.writeDigits(spark, "test", dir);
    Path calib = TestData.writeDigits(spark, "calib", dir);
    Path model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RunPipeline.Result r =
        run(
            entry("explicit", model, TestData.uri(calib), test, "quantization.method = minmax")
                + entry("nocal", model, null, test, ""),
            dir.resolve("wh2"),
            out);
    Map<String, ModelOutcome> by =
        r.models().stream().collect(Collectors.toMap(ModelOutcome::name, x -> x));

    ModelOutcome explicit = by.get("explicit");
    assertThat(explicit.status()).as(explicit.note()).isEqualTo(ModelOutcome.PASSED);
    assertThat(explicit.mode()).isEqualTo("static");
    assertThat(explicit.method()).isEqualTo("minmax");
    assertThat(explicit.auto()).isNull();
    assertThat(explicit.stages()).containsKey("calibrate").doesNotContainKey("auto");

    ModelOutcome nocal = by.get("nocal");
    assertThat(nocal.status()).as(nocal.note()).isEqualTo(ModelOutcome.PASSED);
    List<String> modes = new ArrayList<>();
    nocal.auto().path("candidates").forEach(c -> modes.add(c.path("mode").asText()));
    assertThat(modes).isNotEmpty().doesNotContain("static").contains("fp16");
    assertThat(nocal.auto().path("calibration-rows").asLong()).isZero();
  }

  @Test
  void aGraphNoStaticRecipeQuantizesGoesOnWithTheOthers() throws Exception {
    // Sigmoid then Tanh: no op a static recipe quantizes, no MatMul for dynamic; fp16 remains.
    ai.onnx.proto.OnnxMl.GraphProto g =
        ai.onnx.proto.OnnxMl.GraphProto.newBuilder()
            .setName("elementwise")
            .addInput(
                io.octet.onnx.Nodes.valueInfo(
                    "image", ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE, "N", 1, 8, 8))
            .addOutput(
                io.octet.onnx.Nodes.valueInfo(
                    "y", ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE, "N", 1, 8, 8))
            .addNode(io.octet.onnx.Nodes.node("Sigmoid", "s", List.of("image"), List.of("h")))
            .addNode(io.octet.onnx.Nodes.node("Tanh", "t", List.of("h"), List.of("y")))
            .build();
    Path model = dir.resolve("elementwise.onnx");
    Files.write(model, io.octet.testing.TestModels.model(g, 13).toByteArray());
    Path calib = TestData.writeDigits(spark, "calib", dir);
    Path test = TestData.writeDigits(spark, "test", dir);
    String entry =
        """
          elementwise {
            uri = "%s"
            calibration { dataset = "%s" }
            validation { dataset = "%s", latency-rows = 8, latency-rounds = 1, node-sqnr-rows = 0 }
            quantization.auto { latency-rows = 8 }
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
          }
        """
            .formatted(TestData.uri(model), TestData.uri(calib), TestData.uri(test));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ModelOutcome m = run(entry, dir.resolve("wh3"), out).models().get(0);
    assertThat(m.status()).as(m.note()).isEqualTo(ModelOutcome.PASSED);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("no node a static recipe quantizes: static candidates left out");
    List<String> labels = new ArrayList<>();
    m.auto().path("candidates").forEach(c -> labels.add(c.path("label").asText()));
    assertThat(labels).containsExactly("fp16");
    assertThat(m.mode()).isEqualTo("fp16");
  }

  @Test
  void whenNoStaticCandidatePassesTheTunerKeepsTheFewestSensitiveNodesInFp32() throws Exception {
    // At 44 dB no static recipe of the digits CNN passes (TuningPipelineTest); with fp16 left out
    // of the recipes, the tuned candidate is the only way to pass.
    Path calib = TestData.writeDigits(spark, "calib", dir);
    Path test = TestData.writeDigits(spark, "test", dir);
    Path model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
    String extra =
        """
        quantization.auto { recipes = [static-full], static-methods = [percentile, mse] }
        validation.gate { min-sqnr-db = 44 }
        """;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Path warehouse = dir.resolve("wh4");
    ModelOutcome m =
        run(entry("tuned", model, TestData.uri(calib), test, extra), warehouse, out)
            .models()
            .get(0);
    String console = out.toString(StandardCharsets.UTF_8);

    assertThat(console).contains("no static candidate passes: tuning static-full/");
    assertThat(m.status()).as(m.note()).isEqualTo(ModelOutcome.PASSED);
    assertThat(m.validation().metrics().sqnrDb()).isGreaterThanOrEqualTo(44);
    JsonNode pick = null;
    for (JsonNode c : m.auto().path("candidates")) {
      if (c.path("chosen").asBoolean()) {
        pick = c;
      } else {
        assertThat(c.path("passed").asBoolean()).as(c.toString()).isFalse();
      }
    }
    assertThat(pick).isNotNull();
    assertThat(pick.path("label").asText()).matches("static-full/(percentile|mse)\\+[1-4]fp32");
    int kept = pick.path("fp32-nodes").size();
    assertThat(kept).as("some nodes, not all five").isBetween(1, 4);
    assertThat(m.auto().path("chosen").path("fp32-nodes")).isEqualTo(pick.path("fp32-nodes"));
    assertThat(m.auto().path("passed-on-sample").asBoolean()).isTrue();
    // The published model keeps exactly those nodes in FP32: the quantize stage applied them.
    Path published = warehouse.resolve(m.artifacts().get("prefix")).resolve("model.int8.onnx");
    var graph = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(published)).getGraph();
    for (JsonNode n : pick.path("fp32-nodes")) {
      var node =
          graph.getNodeList().stream()
              .filter(x -> x.getName().equals(n.asText()))
              .findFirst()
              .orElseThrow();
      assertThat(node.getOpType()).as(n.asText()).isNotIn("QLinearConv", "ConvInteger");
      String input = node.getInput(0);
      var producer =
          graph.getNodeList().stream().filter(x -> x.getOutputList().contains(input)).findFirst();
      assertThat(producer.map(x -> x.getOpType()).orElse(""))
          .as("an FP32 node reads no DequantizeLinear output of its own: " + n.asText())
          .isNotEqualTo("DequantizeLinear");
    }
  }
}
