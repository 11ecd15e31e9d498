package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.publish.RunIds;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Calibration under a memory budget, each run in a child JVM whose peak resident memory the OS
 * measures: all-MiniLM-L6-v2, static with the default op set (240 calibrated tensors, about 60 MB
 * of activations per 128-token row, 1.9 GB per default batch of 32) calibrated three ways, with a 1
 * GB heap: without a budget, with one that leaves room for only a few rows per batch, and with one
 * so small that one row of all tensors does not fit, so the tensors are split into groups that each
 * run their own pass. The constrained runs must stay under their budget while the unconstrained one
 * goes above it, and all three must produce the same calibration, histograms bit for bit.
 */
class MemoryBudgetIT {
  private static final long MIB = 1L << 20;
  private static final long BATCHES_BUDGET = 2600 * MIB;
  private static final long GROUPS_BUDGET = 2350 * MIB;
  private static final Pattern PEAK =
      Pattern.compile("\\[octet\\] memory: peak resident ([0-9.]+) (MiB|GiB) of the");

  private static Path dir;
  private static Path registry;

  @BeforeAll
  static void data() throws Exception {
    dir = ItPaths.dataDir("memory-budget");
    ItData.Demo demo = ItData.demo();
    registry = dir.resolve("registry.conf");
    Files.writeString(
        registry,
        """
        warehouse = "%s"
        models {
          minilm {
            uri = "%s"
            quantization { mode = static }
            calibration { dataset = "%s", max-rows = 200, batch-memory = 0 }
            validation { dataset = "%s" }
            id-column = id
            inputs = [
              { name = input_ids, column = input_ids, dtype = int64, shape = [-1] }
              { name = attention_mask, column = attention_mask, dtype = int64, shape = [-1] }
              { name = token_type_ids, column = token_type_ids, dtype = int64, shape = [-1] }
            ]
          }
        }
        """
            .formatted(
                dir.resolve("warehouse").toUri(),
                demo.minilmModel().toUri(),
                demo.minilmCalibration().toUri(),
                demo.minilmValidation().toUri()),
        StandardCharsets.UTF_8);
  }

  /** What one child run printed and left. */
  private record Run(String out, long peakBytes, byte[] calibration) {}

  @Test
  void constrainedCalibrationStaysUnderItsBudgetAndGathersTheSameHistograms() throws Exception {
    Run free = calibrate("unconstrained", "64g");
    Run batches = calibrate("batches", BATCHES_BUDGET + "b");
    Run groups = calibrate("groups", GROUPS_BUDGET + "b");

    assertThat(free.peakBytes())
        .as("without a budget, batches of 32 rows need more than the budget the test sets")
        .isGreaterThan(BATCHES_BUDGET);
    assertThat(batches.out()).contains("rows run").contains("to a batch");
    assertThat(batches.peakBytes()).isLessThan(BATCHES_BUDGET);
    assertThat(groups.out()).containsPattern("split into [0-9]+ groups");
    assertThat(groups.peakBytes()).isLessThan(GROUPS_BUDGET);

    String expected = new String(free.calibration(), StandardCharsets.UTF_8);
    assertThat(expected).contains("\"rows\" : 200").contains("\"counts\"");
    assertThat(new String(batches.calibration(), StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(new String(groups.calibration(), StandardCharsets.UTF_8)).isEqualTo(expected);
  }

  private static Run calibrate(String name, String budget) throws Exception {
    String runId = RunIds.next();
    List<String> java = new ArrayList<>();
    java.add(S3Server.javaBinary());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-Dio.netty") || a.startsWith("-Djdk.")) {
        java.add(a);
      }
    }
    // In an @argfile: ONNX Runtime's native init crashes when the command line passes ~4 KB.
    Path argfile = dir.resolve(name + ".args");
    Files.writeString(
        argfile, "-cp \"" + System.getProperty("java.class.path") + "\"\n", StandardCharsets.UTF_8);
    java.addAll(
        List.of(
            "-Xmx1g",
            "-Dlog4j2.configurationFile=" + ItPaths.repoRoot().resolve("conf/log4j2.properties"),
            "-Doctetlog.file=" + dir.resolve(name + "-octet.log"),
            "@" + argfile,
            "io.octet.jobs.Main",
            "calibrate",
            "--registry",
            registry.toString(),
            "--model",
            "minilm",
            "--run-id",
            runId,
            "--set",
            "run.memory-budget=" + budget));
    ProcessBuilder pb = new ProcessBuilder(java).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Path log = dir.resolve(name + ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(Duration.ofMinutes(10).toSeconds(), TimeUnit.SECONDS))
        .as("%s calibration; log %s", name, log)
        .isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("%s calibration exit; log:%n%s", name, out).isZero();
    Matcher m = PEAK.matcher(out);
    assertThat(m.find()).as("%s reports its peak resident memory:%n%s", name, out).isTrue();
    double value = Double.parseDouble(m.group(1));
    long peak = (long) (value * (m.group(2).equals("GiB") ? 1024 * MIB : MIB));
    System.out.printf(
        Locale.ROOT, "%s: budget %s, peak resident %.1f MiB%n", name, budget, peak / (double) MIB);
    Path calibration =
        dir.resolve("warehouse").resolve("_staging").resolve(runId).resolve("minilm");
    return new Run(out, peak, Files.readAllBytes(calibration.resolve("calibration.json")));
  }
}
