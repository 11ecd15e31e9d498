package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.config.ConfigLoader;
import io.octet.config.RegistryConfig;
import io.octet.jobs.pipeline.ModelOutcome;
import io.octet.jobs.pipeline.RunPipeline;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.publish.RunIds;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the validate stage runs (issue 13): latency from the comparison pass itself, and per-node
 * SQNR as a second, short pass only when the gate failed, unless asked for always.
 */
class ValidationPassesTest extends SparkTestBase {
  @TempDir Path dir;

  private static String entry(String name, Path model, Path calib, Path test, String validation) {
    return """
      %s {
        uri = "%s"
        quantization { mode = static }
        calibration { dataset = "%s" }
        validation { dataset = "%s", node-sqnr-rows = 8, %s }
        label-column = label
        id-column = id
        inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
      }
    """
        .formatted(name, TestData.uri(model), TestData.uri(calib), TestData.uri(test), validation);
  }

  @Test
  void latencyComesFromTheComparisonPassAndNodeSqnrOnlyWhenTheGateFailsOrAlways() throws Exception {
    Path calib = TestData.writeDigits(spark, "calib", dir);
    Path test = TestData.writeDigits(spark, "test", dir);
    Path model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
    String registry =
        "warehouse = \""
            + TestData.uri(dir.resolve("wh"))
            + "\"\nmodels {\n"
            + entry("passes", model, calib, test, "batch-size = 16")
            + entry("fails", model, calib, test, "gate { min-sqnr-db = 200 }")
            + entry("always", model, calib, test, "node-sqnr-when = always")
            + entry("driver", model, calib, test, "latency-source = driver, latency-rows = 16")
            + entry("untimed", model, calib, test, "latency-rows = 0")
            + entry("tasks", model, calib, test, "latency-min-task-time = 0ms, batch-size = 16")
            + "}\n";
    RegistryConfig reg =
        ConfigLoader.load(registry, "passes.conf", List.of(), Map.of(), new java.util.Properties());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RunPipeline.Result r =
        new RunPipeline(spark, reg, store, new PrintStream(out, true, StandardCharsets.UTF_8))
            .run(RunIds.next(), List.of(), false);
    System.out.print(out.toString(StandardCharsets.UTF_8));
    Map<String, ModelOutcome> by =
        r.models().stream().collect(Collectors.toMap(ModelOutcome::name, m -> m));

    ModelOutcome passes = by.get("passes");
    assertThat(passes.status()).as(passes.note()).isEqualTo(ModelOutcome.PASSED);
    assertThat(passes.validation().nodes())
        .as("no per-node pass for a model that passed")
        .isEmpty();
    // The digits CNN runs in microseconds: its comparison pass is too brief to time
    // (validation.latency-min-task-time), so the driver's repeated comparison measures it.
    var latency = passes.validation().latency();
    assertThat(latency).isNotNull();
    assertThat(latency.msPerRowA()).isPositive();
    assertThat(latency.rounds()).as("the driver's rounds").isEqualTo(5);
    assertThat(passes.validation().latencySource()).isEqualTo("driver");

    ModelOutcome fails = by.get("fails");
    assertThat(fails.status()).isEqualTo(ModelOutcome.GATE_FAILED);
    assertThat(fails.validation().nodes()).as("per-node SQNR after the gate failed").isNotEmpty();
    assertThat(fails.validation().nodes())
        .allSatisfy(n -> assertThat(n.sqnrDb()).as(n.node()).isFinite().isPositive());

    ModelOutcome always = by.get("always");
    assertThat(always.status()).isEqualTo(ModelOutcome.PASSED);
    assertThat(always.validation().nodes()).as("asked for always").isNotEmpty();
    // The same rows and models give the same node SQNRs in either pass.
    assertThat(always.validation().nodes().get(0).sqnrDb())
        .isEqualTo(fails.validation().nodes().get(0).sqnrDb());

    ModelOutcome driver = by.get("driver");
    assertThat(driver.status()).isEqualTo(ModelOutcome.PASSED);
    assertThat(driver.validation().latency().rounds())
        .as("the driver's rounds (latency-rounds)")
        .isEqualTo(5);

    assertThat(by.get("untimed").validation().latency()).as("latency-rows = 0").isNull();

    // With no least time, the comparison pass's own timing is the figure.
    assertThat(by.get("tasks").validation().latencySource()).isEqualTo("tasks");
    var tasks = by.get("tasks").validation().latency();
    assertThat(tasks).as("timed in the comparison pass").isNotNull();
    assertThat(tasks.msPerRowA()).isPositive();
    assertThat(tasks.msPerRowB()).isPositive();
    // 539 rows in batches of 16 over the partitions, each task's first batch untimed.
    assertThat(tasks.rounds()).as("batches timed").isGreaterThan(20).isLessThan(35);
  }
}
