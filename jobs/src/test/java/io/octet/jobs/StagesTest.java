package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.publish.RunIds;
import io.octet.util.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The single-stage commands, as Airflow runs them: one run id, four processes' worth of work. */
class StagesTest extends SparkTestBase {
  @TempDir Path dir;

  private int main(ByteArrayOutputStream out, String... args) {
    PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8);
    return Main.run(args, p, p);
  }

  @Test
  void stagesHandOverThroughStagingAndAnUnchangedModelIsSkippedNextTime() throws Exception {
    Path calib = TestData.writeDigits(spark, "calib", dir);
    Path test = TestData.writeDigits(spark, "test", dir);
    Path model = repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
    Path warehouse = dir.resolve("wh");
    Path registry = dir.resolve("registry.conf");
    Files.writeString(
        registry,
        """
        warehouse = "%s"
        models {
          digits {
            uri = "%s"
            calibration { dataset = "%s" }
            validation { dataset = "%s", latency-rows = 16, latency-rounds = 1,
                         gate { max-accuracy-drop-points = 0.5 } }
            label-column = label
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
          }
        }
        """
            .formatted(
                TestData.uri(warehouse),
                TestData.uri(model),
                TestData.uri(calib),
                TestData.uri(test)));
    String run = RunIds.next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String stage : new String[] {"calibrate", "quantize", "validate", "publish"}) {
      int code =
          main(out, stage, "--registry", registry.toString(), "--model", "digits", "--run-id", run);
      assertThat(code).as(stage + ": " + out.toString(StandardCharsets.UTF_8)).isZero();
    }
    JsonNode latest = Json.parse(Files.readAllBytes(warehouse.resolve("digits/latest")), "latest");
    assertThat(latest.path("run-id").asText()).isEqualTo(run);
    assertThat(warehouse.resolve("digits/1/" + run + "/manifest.json")).exists();
    assertThat(warehouse.resolve("_staging/" + run)).doesNotExist();

    String again = RunIds.next();
    ByteArrayOutputStream out2 = new ByteArrayOutputStream();
    for (String stage : new String[] {"calibrate", "quantize", "validate", "publish"}) {
      assertThat(
              main(
                  out2,
                  stage,
                  "--registry",
                  registry.toString(),
                  "--model",
                  "digits",
                  "--run-id",
                  again))
          .as(stage)
          .isZero();
    }
    assertThat(out2.toString(StandardCharsets.UTF_8)).contains("unchanged since run " + run);
    assertThat(warehouse.resolve("_runs/" + again + "/skipped/digits.json")).exists();
    assertThat(warehouse.resolve("digits/1/" + again)).doesNotExist();

    String forced = RunIds.next();
    assertThat(
            main(
                new ByteArrayOutputStream(),
                "calibrate",
                "--registry",
                registry.toString(),
                "--model",
                "digits",
                "--run-id",
                forced,
                "--force"))
        .isZero();
    assertThat(warehouse.resolve("_staging/" + forced + "/digits/calibration.json")).exists();

    assertThat(
            main(
                new ByteArrayOutputStream(),
                "quantize",
                "--registry",
                registry.toString(),
                "--model",
                "digits"))
        .as("later stages need the run id")
        .isEqualTo(2);
    assertThat(
            main(
                new ByteArrayOutputStream(),
                "calibrate",
                "--registry",
                registry.toString(),
                "--model",
                "nope"))
        .isEqualTo(2);
  }
}
