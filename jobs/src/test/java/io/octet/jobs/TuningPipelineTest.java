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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model that misses its gate is tuned in Spark until it passes, and the record is published. */
class TuningPipelineTest extends SparkTestBase {
  @TempDir Path dir;

  @Test
  void tuningKeepsTheFewestSensitiveNodesInFp32UntilTheGatePasses() throws Exception {
    Path calib = TestData.writeDigits(spark, "calib", dir);
    Path test = TestData.writeDigits(spark, "test", dir);
    Path model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
    Path warehouse = dir.resolve("wh");
    String registry =
        """
        warehouse = "%s"
        models {
          digits {
            uri = "%s"
            quantization { mode = static }
            calibration { dataset = "%s" }
            validation { dataset = "%s", latency-rows = 16, latency-rounds = 1, node-sqnr-rows = 0,
                         gate { min-sqnr-db = 44 } }
            tuning { enabled = true, max-trials = 10, sample-rows = 128, latency-rows = 16 }
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
        ConfigLoader.load(registry, "tuning.conf", List.of(), Map.of(), new java.util.Properties());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RunPipeline.Result r =
        new RunPipeline(spark, reg, store, new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(RunIds.next(), List.of(), false);
    System.out.print(out.toString(StandardCharsets.UTF_8));

    ModelOutcome m = r.models().get(0);
    assertThat(m.status()).as(m.note()).isEqualTo(ModelOutcome.PASSED);
    assertThat(m.validation().metrics().sqnrDb()).isGreaterThanOrEqualTo(44);
    assertThat(m.stages()).containsKey("tune");
    JsonNode tuning = m.tuning();
    assertThat(tuning.path("fp32-nodes").size()).as("some nodes went back to FP32").isPositive();
    assertThat(tuning.path("fp32-nodes").size()).as("not all of them").isLessThan(5);
    assertThat(tuning.path("trials").size()).isGreaterThan(3);
    JsonNode manifest =
        Json.parse(
            Files.readAllBytes(warehouse.resolve(m.artifacts().get("manifest"))), "manifest");
    assertThat(manifest.path("tuning").path("fp32-nodes")).isEqualTo(tuning.path("fp32-nodes"));
    assertThat(warehouse.resolve(m.artifacts().get("tuning"))).exists();
    String page = Files.readString(warehouse.resolve(m.artifacts().get("report")));
    assertThat(page).contains("id=\"tuning\"").contains("node(s) kept in FP32");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("tune");
  }
}
