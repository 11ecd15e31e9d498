package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import io.octet.it.SparkCluster.ExecutorProcess;
import io.octet.it.SparkCluster.RunningApp;
import io.octet.it.SparkCluster.SubmitResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Faults during real runs (shaded jar, spark-submit, standalone cluster, S3 server; credentials as
 * {@code spark.hadoop.fs.s3a.*} settings in the properties file): an executor killed during
 * calibration, the S3 server stopped during publish, the driver killed mid-run, two runs at once.
 *
 * <p>The first test makes the clean run the others compare with, so they run in order.
 */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {
  private static final String BUCKET = "octet-faults";
  private static final String WAREHOUSE = "zoo";
  private static final String DIGITS = "digits-cnn";
  private static final String MINILM = "minilm";

  private static S3Server s3;
  private static SparkCluster cluster;
  private static OctetRuns octet;
  private static Bucket bucket;

  /** The clean run of both models in {@link #WAREHOUSE}. */
  private static String cleanRun;

  @BeforeAll
  static void setUp() {
    ItPaths.sparkHome();
    ItPaths.octetJar();
    ItData.Demo demo = ItData.demo();
    s3 = S3Server.create().start();
    cluster = SparkCluster.builder().workers(2).build().start();
    octet = new OctetRuns(cluster, s3, OctetRuns.Credentials.SPARK_CONF);
    s3.createBucket(BUCKET);
    bucket = new Bucket(s3, BUCKET);
    OctetRegistries.uploadMinilm(bucket, demo);
    OctetRegistries.uploadDigits(bucket, demo);
    for (String wh : List.of(WAREHOUSE, "driver-zoo", "shared-zoo")) {
      bucket.put(
          wh + ".conf",
          OctetRegistries.registry(
              bucket.uri(wh),
              // One model at a time where the driver is killed: digits-cnn finishes first.
              wh.equals("driver-zoo") ? "parallel-models = 1" : "parallel-models = 2",
              OctetRegistries.minilmFast(MINILM, BUCKET),
              OctetRegistries.digits(DIGITS, BUCKET)));
    }
  }

  @AfterAll
  static void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @AfterEach
  void noSecretAnywhere() {
    assertThat(
            SecretScan.findIn(
                List.of(s3.secretKey()), cluster.runDir(), s3.dataDir(), s3.logFile().getParent()))
        .as("files holding the secret key (logs, scratch, bucket objects)")
        .isEmpty();
  }

  private static String registry(String warehouse) {
    return bucket.uri(warehouse + ".conf");
  }

  @Test
  @Order(1)
  void executorKilledDuringCalibrationLeavesTheCalibrationTableByteIdentical() {
    cleanRun = OctetRuns.runId();
    SubmitResult clean = octet.run(registry(WAREHOUSE), cleanRun, List.of(), Duration.ofMinutes(8));
    assertThat(clean.exitCode()).as(clean.describe()).isZero();

    String faulty = OctetRuns.runId();
    RunningApp app =
        octet.start(registry(WAREHOUSE), faulty, Map.of(), List.of("--models", MINILM, "--force"));
    String appId = app.awaitAppId(Duration.ofSeconds(120));
    ExecutorProcess victim = awaitCalibratingExecutor(app, appId);
    cluster.killExecutor(victim);
    SubmitResult r = app.await(Duration.ofMinutes(8));
    System.out.printf(
        "FaultsIT: clean run %d s, run with executor %s killed %d s%n",
        clean.elapsed().toSeconds(), victim.executorId(), r.elapsed().toSeconds());

    assertThat(r.exitCode()).as(r.describe()).isZero();
    assertThat(r.output())
        .as("the driver lost executor %s and its running task", victim.executorId())
        .containsPattern("(?i)lost executor " + victim.executorId() + "\\b");
    int lost = r.output().indexOf("Lost executor " + victim.executorId());
    int calibrated = r.output().indexOf("[octet] " + MINILM);
    assertThat(lost)
        .as("the executor was lost before calibration finished (its progress line)")
        .isBetween(0, calibrated < 0 ? Integer.MAX_VALUE : calibrated);
    JsonNode m = Bucket.model(bucket.summary(WAREHOUSE, faulty), MINILM);
    assertThat(m.path("status").asText()).as(m.toString()).isEqualTo("passed");
    assertThat(m.path("stages").path("calibrate").path("rows").asLong())
        .isEqualTo(OctetRegistries.MINILM_CALIBRATION_ROWS);
    byte[] expected = bucket.bytes(artifact(WAREHOUSE, MINILM, cleanRun, "calibration.json"));
    byte[] actual = bucket.bytes(artifact(WAREHOUSE, MINILM, faulty, "calibration.json"));
    assertThat(actual).as("calibration.json after the executor loss").isEqualTo(expected);
  }

  @Test
  @Order(2)
  void s3ServerStoppedDuringPublishLeavesLatestAloneAndANewRunConverges() throws Exception {
    String faulty = OctetRuns.runId();
    String prefix = Bucket.runPrefix(WAREHOUSE, DIGITS, faulty);
    Path prefixDir = s3.dataDir().resolve(BUCKET).resolve(prefix);
    // Fail fast once the server is gone, instead of S3A's minute of retries.
    Map<String, String> fewRetries =
        Map.of(
            "spark.hadoop.fs.s3a.retry.limit", "1",
            "spark.hadoop.fs.s3a.retry.interval", "100ms",
            "spark.hadoop.fs.s3a.attempts.maximum", "1");
    RunningApp app =
        octet.start(
            registry(WAREHOUSE), faulty, fewRetries, List.of("--models", DIGITS, "--force"));
    // Stop the server the moment the first artifact of the run's prefix lands (S3Proxy's
    // filesystem store writes <bucket>/<key> files; poll them every few milliseconds).
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (firstFile(prefixDir).isEmpty()) {
      assertThat(app.isRunning()).as("run still going; log %s", app.logFile()).isTrue();
      assertThat(System.nanoTime()).as("first artifact of %s", prefix).isLessThan(deadline);
      ItProcesses.sleep(5);
    }
    s3.stop();
    List<String> landed = relativeFiles(prefixDir);
    SubmitResult r = app.await(Duration.ofMinutes(5));
    System.out.printf(
        "FaultsIT: run with the S3 server stopped exited %d after %d s; landed %s; %s%n",
        r.exitCode(), r.elapsed().toSeconds(), landed, r.linesStartingWith("octet: "));
    s3.start();

    assertThat(r.exitCode()).as(r.describe()).isNotZero();
    assertThat(r.output())
        .as("the model's failure is reported at publish, naming the model")
        .containsPattern("\\[octet\\] " + DIGITS + "\\s+FAILED\\s+publish: Model '" + DIGITS + "'");
    assertThat(r.linesStartingWith("octet: "))
        .as("the run then stops because the summary cannot be written either")
        .anySatisfy(line -> assertThat(line).contains("summary.json"));
    assertThat(landed).as("what landed before the stop").doesNotContain("manifest.json");
    assertThat(bucket.exists(prefix + "/manifest.json"))
        .as("manifest of the stopped run")
        .isFalse();
    JsonNode latest = bucket.latest(WAREHOUSE, DIGITS).orElseThrow();
    assertThat(latest.path("run-id").asText()).as("latest after the stop").isEqualTo(cleanRun);
    assertThat(bucket.verifyManifest(WAREHOUSE + "/" + latest.path("manifest").asText())).isEmpty();

    // The same run id again is refused before it touches anything (issue 17: a run prefix is
    // written at most once); a new run converges to the clean run's artifacts.
    List<String> before = bucket.keys(WAREHOUSE + "/");
    SubmitResult reused =
        octet.run(
            registry(WAREHOUSE),
            faulty,
            List.of("--models", DIGITS, "--force"),
            Duration.ofMinutes(5));
    assertThat(reused.exitCode()).as(reused.describe()).isEqualTo(2);
    assertThat(reused.linesStartingWith("octet: "))
        .anySatisfy(line -> assertThat(line).contains("Run id '" + faulty + "' was already used"));
    assertThat(bucket.keys(WAREHOUSE + "/")).as("keys after the refused rerun").isEqualTo(before);

    String rerunId = OctetRuns.runId();
    String rerunPrefix = Bucket.runPrefix(WAREHOUSE, DIGITS, rerunId);
    SubmitResult rerun =
        octet.run(
            registry(WAREHOUSE),
            rerunId,
            List.of("--models", DIGITS, "--force"),
            Duration.ofMinutes(5));
    assertThat(rerun.exitCode()).as(rerun.describe()).isZero();
    assertThat(bucket.latest(WAREHOUSE, DIGITS).orElseThrow().path("run-id").asText())
        .isEqualTo(rerunId);
    assertThat(bucket.verifyManifest(rerunPrefix + "/manifest.json")).isEmpty();
    assertThat(bucket.bytes(rerunPrefix + "/calibration.json"))
        .as("calibration.json of the rerun and of the clean run")
        .isEqualTo(bucket.bytes(artifact(WAREHOUSE, DIGITS, cleanRun, "calibration.json")));
    // model.int8.onnx records its run id in metadata_props (octet.run-id); all else must match.
    assertThat(withoutRunId(bucket.bytes(rerunPrefix + "/model.int8.onnx")))
        .as("model.int8.onnx of the rerun and of the clean run, run id aside")
        .isEqualTo(
            withoutRunId(bucket.bytes(artifact(WAREHOUSE, DIGITS, cleanRun, "model.int8.onnx"))));
  }

  @Test
  @Order(3)
  void driverKilledMidRunThenRerunSkipsFinishedModelsAndCompletesTheRest() {
    String wh = "driver-zoo";
    String killed = OctetRuns.runId();
    RunningApp app = octet.start(registry(wh), killed, Map.of(), List.of());
    ItProcesses.awaitCondition(
        () -> bucket.exists(wh + "/" + DIGITS + "/latest"),
        Duration.ofMinutes(5),
        null,
        app.logFile(),
        DIGITS + " promoted");
    app.kill();
    SubmitResult dead = app.await(Duration.ofSeconds(30));
    System.out.printf("FaultsIT: driver killed after %d s%n", dead.elapsed().toSeconds());
    assertThat(bucket.latest(wh, MINILM)).as("minilm had not finished").isEmpty();
    assertThat(bucket.exists(Bucket.runPrefix(wh, MINILM, killed) + "/manifest.json")).isFalse();
    assertThat(bucket.exists(wh + "/_runs/" + killed + "/summary.json")).isFalse();

    String rerunId = OctetRuns.runId();
    SubmitResult rerun = octet.run(registry(wh), rerunId, List.of(), Duration.ofMinutes(8));
    System.out.printf("FaultsIT: rerun after the driver kill %d s%n", rerun.elapsed().toSeconds());
    assertThat(rerun.exitCode()).as(rerun.describe()).isZero();
    JsonNode summary = bucket.summary(wh, rerunId);
    assertThat(Bucket.model(summary, DIGITS).path("status").asText()).isEqualTo("skipped");
    assertThat(Bucket.model(summary, MINILM).path("status").asText()).isEqualTo("passed");
    assertThat(bucket.latest(wh, DIGITS).orElseThrow().path("run-id").asText()).isEqualTo(killed);
    assertThat(bucket.latest(wh, MINILM).orElseThrow().path("run-id").asText()).isEqualTo(rerunId);
    assertThat(rerun.output()).containsPattern("\\[octet\\] " + DIGITS + "\\s+skip");
  }

  @Test
  @Order(4)
  void twoRunsAtOnceOnOneRegistryNeitherCorruptsTheOther() {
    String wh = "shared-zoo";
    String a = OctetRuns.runId();
    String b = OctetRuns.runId();
    // One core each, so both really run at the same time on the two workers.
    Map<String, String> oneCore = Map.of("spark.cores.max", "1");
    RunningApp appA = octet.start(registry(wh), a, oneCore, List.of("--models", DIGITS));
    RunningApp appB = octet.start(registry(wh), b, oneCore, List.of("--models", DIGITS));
    SubmitResult ra = appA.await(Duration.ofMinutes(8));
    SubmitResult rb = appB.await(Duration.ofMinutes(8));
    System.out.printf(
        "FaultsIT: concurrent runs %d s and %d s%n",
        ra.elapsed().toSeconds(), rb.elapsed().toSeconds());

    assertThat(ra.exitCode()).as(ra.describe()).isZero();
    assertThat(rb.exitCode()).as(rb.describe()).isZero();
    List<String> statuses = new ArrayList<>();
    for (String run : List.of(a, b)) {
      statuses.add(Bucket.model(bucket.summary(wh, run), DIGITS).path("status").asText());
    }
    assertThat(statuses).as("digits-cnn in runs %s and %s", a, b).contains("passed");
    assertThat(statuses).allMatch(s -> s.equals("passed") || s.equals("skipped"));
    // Every run prefix that holds anything holds a manifest that verifies.
    List<String> keys = bucket.keys(wh + "/" + DIGITS + "/1/");
    List<String> prefixes =
        keys.stream()
            .filter(k -> !k.endsWith("/"))
            .map(k -> k.substring(0, k.lastIndexOf('/')))
            .distinct()
            .toList();
    assertThat(prefixes).isNotEmpty();
    for (String prefix : prefixes) {
      assertThat(bucket.verifyManifest(prefix + "/manifest.json")).as(prefix).isEmpty();
    }
    JsonNode latest = bucket.latest(wh, DIGITS).orElseThrow();
    assertThat(latest.path("run-id").asText()).isIn(a, b);
    assertThat(bucket.verifyManifest(wh + "/" + latest.path("manifest").asText())).isEmpty();
  }

  private static String artifact(String wh, String model, String runId, String name) {
    return Bucket.runPrefix(wh, model, runId) + "/" + name;
  }

  /** An ONNX model's bytes with the {@code octet.run-id} metadata entry removed. */
  private static byte[] withoutRunId(byte[] model) throws IOException {
    ModelProto m = ModelProto.parseFrom(model);
    ModelProto.Builder b = m.toBuilder().clearMetadataProps();
    m.getMetadataPropsList().stream()
        .filter(p -> !p.getKey().endsWith("run-id"))
        .forEach(b::addMetadataProps);
    return b.build().toByteArray();
  }

  /** Waits until an executor of {@code appId} has opened the calibration model, and returns it. */
  private static ExecutorProcess awaitCalibratingExecutor(RunningApp app, String appId) {
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(app.isRunning()).as("spark-submit still running; log %s", app.logFile()).isTrue();
      for (ExecutorProcess e : cluster.executors(appId)) {
        Path stderr =
            cluster.executorDirs(appId).stream()
                .filter(d -> d.getFileName().toString().equals(e.executorId()))
                .map(d -> d.resolve("stderr"))
                .findFirst()
                .orElse(null);
        if (stderr != null && read(stderr).contains("session for calibration-model.onnx")) {
          return e;
        }
      }
      ItProcesses.sleep(100);
    }
    throw new AssertionError("No executor of " + appId + " started calibrating; " + app.logFile());
  }

  private static Optional<Path> firstFile(Path dir) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).findFirst();
    } catch (IOException | UncheckedIOException e) {
      return Optional.empty();
    }
  }

  private static List<String> relativeFiles(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
