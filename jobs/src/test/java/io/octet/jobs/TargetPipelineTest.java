package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.config.ConfigLoader;
import io.octet.config.RegistryConfig;
import io.octet.cpu.CpuFeatures;
import io.octet.jobs.pipeline.ModelOutcome;
import io.octet.jobs.pipeline.RunPipeline;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.publish.RunIds;
import io.octet.runtime.OrtRuntime;
import io.octet.util.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quantization target through the pipeline: what validation.json, the manifest and the report
 * record, the gate option for a validating CPU that cannot show the target, and {@code check-int8}
 * on published artifacts. Passes on any CPU: the "cannot show" case picks a target this machine is
 * not (arm64 on x86, vnni on ARM64).
 */
class TargetPipelineTest extends SparkTestBase {
  @TempDir static Path dir;
  static Path calib;
  static Path test;
  static Path model;

  @BeforeAll
  static void data() throws Exception {
    calib = TestData.writeDigits(spark, "calib", dir);
    test = TestData.writeDigits(spark, "test", dir);
    model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
  }

  private static RunPipeline.Result run(Path warehouse, List<String> sets) {
    String registry =
        """
        warehouse = "%s"
        models {
          digits {
            uri = "%s"
            calibration { dataset = "%s" }
            validation { dataset = "%s", latency-rows = 0, node-sqnr-rows = 0 }
            label-column = label
            id-column = id
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
          }
        }
        """
            .formatted(
                TestData.uri(warehouse),
                TestData.uri(model),
                TestData.uri(calib),
                TestData.uri(test));
    RegistryConfig reg =
        ConfigLoader.load(
            registry, "target-registry.conf", sets, Map.of(), new java.util.Properties());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RunPipeline.Result r =
        new RunPipeline(spark, reg, store, new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(RunIds.next(), List.of(), true);
    System.out.print(out.toString(StandardCharsets.UTF_8));
    return r;
  }

  private static JsonNode json(Path p) throws Exception {
    return Json.parse(Files.readAllBytes(p), p.toString());
  }

  private static int checkInt8(ByteArrayOutputStream out, String... args) {
    String[] argv = new String[args.length + 1];
    argv[0] = "check-int8";
    System.arraycopy(args, 0, argv, 1, args.length);
    PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
    return Main.run(argv, ps, ps);
  }

  @Test
  void portableDefaultIsRecordedEverywhereAndPassesTheCheck() throws Exception {
    Path warehouse = dir.resolve("wh-portable");
    RunPipeline.Result r = run(warehouse, List.of());
    ModelOutcome m = r.models().get(0);
    assertThat(m.status()).isEqualTo(ModelOutcome.PASSED);
    Path prefix = warehouse.resolve(m.artifacts().get("prefix"));

    JsonNode t = json(prefix.resolve("manifest.json")).path("target");
    assertThat(t.path("name").asText()).isEqualTo("portable");
    assertThat(t.path("weight-encoding").asText()).isEqualTo("saturation-aware");
    assertThat(t.path("integer-nodes").asInt()).isPositive();
    assertThat(t.path("saturable-nodes-on-avx2").asInt()).isZero();
    assertThat(t.path("worst-pair-sum").asInt()).isBetween(1, 128);
    assertThat(t.path("onnxruntime").asText()).isEqualTo(OrtRuntime.version());
    assertThat(t.path("shows-target-arithmetic").asBoolean()).isTrue();
    CpuFeatures here = CpuFeatures.detect();
    assertThat(t.path("validated-on").get(0).path("arch").asText()).isEqualTo(here.arch());
    assertThat(json(prefix.resolve("validation.json")).path("target")).isEqualTo(t);
    JsonNode summary = json(warehouse.resolve("_runs/" + r.runId() + "/summary.json"));
    assertThat(summary.path("models").get(0).path("target")).isEqualTo(t);
    assertThat(Files.readString(prefix.resolve("report.html")))
        .contains("Target CPUs", "saturation-aware", "Validated with ONNX Runtime");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = checkInt8(out, "--model", prefix.resolve("model.int8.onnx").toString());
    assertThat(code).as(out.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("verdict for target portable: OK");
  }

  @Test
  void aFullRangeTargetIsShownOnlyByInt32AccumulatingCpus() throws Exception {
    // vnni and arm64 artifacts are computed exactly in int32 by VNNI and ARM64 CPUs alike; an
    // AVX2-only machine cannot show them and, with require-target-cpu, fails the gate.
    boolean shows = CpuFeatures.detect().int32Accumulation();
    Path warehouse = dir.resolve("wh-vnni");
    RunPipeline.Result r =
        run(warehouse, List.of("quantization.target=vnni", "validation.require-target-cpu=true"));
    ModelOutcome m = r.models().get(0);
    Path prefix = warehouse.resolve(m.artifacts().get("prefix"));
    JsonNode t = json(prefix.resolve("manifest.json")).path("target");
    assertThat(t.path("name").asText()).isEqualTo("vnni");
    assertThat(t.path("weight-encoding").asText()).isEqualTo("full-range");
    // Precondition: the digits CNN's full-range weights do have same-sign pairs above the bound.
    assertThat(t.path("saturable-nodes-on-avx2").asInt()).isPositive();
    assertThat(t.path("shows-target-arithmetic").asBoolean()).isEqualTo(shows);
    if (shows) {
      assertThat(m.status()).isEqualTo(ModelOutcome.PASSED);
      assertThat(t.path("note").isNull()).isTrue();
    } else {
      assertThat(m.status()).isEqualTo(ModelOutcome.GATE_FAILED);
      assertThat(m.note()).contains("require-target-cpu");
      assertThat(Files.readString(prefix.resolve("report.html")))
          .contains("cannot show the target");
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Path int8 = prefix.resolve("model.int8.onnx");
    assertThat(checkInt8(out, "--model", int8.toString())).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("SATURABLE on avx2", "Conv");
    out.reset();
    assertThat(checkInt8(out, "--model", int8.toString(), "--target", "vnni")).isZero();
    out.reset();
    assertThat(checkInt8(out, "--model", int8.toString(), "--json")).isEqualTo(1);
    JsonNode j = Json.parse(out.toByteArray(), "check-int8 --json");
    assertThat(j.path("saturable").asBoolean()).isTrue();
    assertThat(j.path("nodes").get(0).path("saturates-on").toString()).contains("portable");
  }

  @Test
  void checkInt8RejectsWhatItCannotRead() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(checkInt8(out, "--model", dir.resolve("nope.onnx").toString())).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("nope.onnx", "does not exist");
    out.reset();
    assertThat(checkInt8(out, "--model", model.toString(), "--target", "avx9")).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("portable, vnni, arm64");
    out.reset();
    // An FP32 model has no integer node: nothing can saturate.
    assertThat(checkInt8(out, "--model", model.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("0 integer MatMul/Gemm/Conv");
  }
}
