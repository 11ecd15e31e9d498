package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.it.SparkCluster.RunningApp;
import io.octet.it.SparkCluster.SubmitResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.example.data.Group;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Octet end to end on real components: the shaded jar submitted with {@code spark-submit} to a
 * standalone cluster (master, two workers, their executors, a client-mode driver: separate JVMs), a
 * registry of three real models on an S3 server reached through S3A, credentials from the
 * environment ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, the SDK's
 * EnvironmentVariableCredentialsProvider) on the driver and on the workers. The artifacts are then
 * read back with a plain S3 client and each INT8 model is checked against its gate in ONNX Runtime.
 *
 * <p>The tests share one run (the first test makes it), so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndIT {
  private static final String BUCKET = "octet-e2e";
  private static final String WAREHOUSE = "zoo";
  private static final List<String> MODELS = List.of("minilm", "digits-cnn", "ppocr-det");

  /** ONNX Runtime 1.29's native init crashes above about 3.9 KB of command line. */
  private static final int MAX_COMMAND_LINE_BYTES = 3900;

  private static S3Server s3;
  private static SparkCluster cluster;
  private static OctetRuns octet;
  private static Bucket bucket;
  private static ItData.Demo demo;
  private static ItData.Ppocr ppocr;
  private static String runId;
  private static SubmitResult run;
  private static final Map<String, Integer> commandLines = new LinkedHashMap<>();

  @BeforeAll
  static void setUp() {
    long t0 = System.nanoTime();
    ItPaths.sparkHome(); // fails first, naming tools/it/setup-spark.sh, when Spark is missing
    ItPaths.octetJar();
    demo = ItData.demo();
    ppocr = ItData.ppocr();
    s3 = S3Server.create().start();
    // Ops export the keys on every node: the workers hand their environment to executors.
    cluster =
        SparkCluster.builder()
            .workers(2)
            .environment(OctetRuns.workerEnvironment(s3))
            .build()
            .start();
    octet = new OctetRuns(cluster, s3, OctetRuns.Credentials.ENVIRONMENT);
    s3.createBucket(BUCKET);
    bucket = new Bucket(s3, BUCKET);
    OctetRegistries.uploadRealModels(bucket, demo, ppocr);
    bucket.put(
        "registry.conf",
        OctetRegistries.registry(
            "s3a://" + BUCKET + "/" + WAREHOUSE,
            "parallel-models = 2",
            OctetRegistries.minilm("minilm", BUCKET),
            OctetRegistries.digits("digits-cnn", BUCKET),
            OctetRegistries.ppocr("ppocr-det", BUCKET),
            OctetRegistries.digitsAuto("digits-auto", BUCKET)));
    System.out.printf(
        "EndToEndIT: data, S3 server and cluster ready in %d s%n",
        (System.nanoTime() - t0) / 1_000_000_000);
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

  @Test
  @Order(1)
  void sparkSubmitOfTheShadedJarPublishesThreeRealModels() {
    runId = OctetRuns.runId();
    RunningApp app = octet.start(bucket.uri("registry.conf"), runId, Map.of(), List.of());
    // Watch the command lines of the driver and of every executor while the run goes on.
    while (app.isRunning()) {
      commandLines.merge("driver", OctetRuns.commandLineBytes(app.driver()), Math::max);
      for (SparkCluster.ExecutorProcess e : cluster.executors()) {
        commandLines.merge(
            "executor " + e.executorId(), OctetRuns.commandLineBytes(e.process()), Math::max);
      }
      ItProcesses.sleep(500);
    }
    run = app.await(Duration.ofMinutes(10));
    System.out.printf(
        "EndToEndIT: run %s took %d s; command lines %s%n",
        runId, run.elapsed().toSeconds(), commandLines);

    assertThat(run.exitCode()).as(run.describe()).isZero();
    JsonNode summary = bucket.summary(WAREHOUSE, runId);
    for (String model : MODELS) {
      JsonNode m = Bucket.model(summary, model);
      assertThat(m.path("status").asText()).as("%s in %s", model, m).isEqualTo("passed");
      assertThat(m.path("gate").path("passed").asBoolean()).as(model).isTrue();
    }
    assertThat(run.output()).contains("[octet] summary: s3a://" + BUCKET + "/" + WAREHOUSE);
    assertThat(bucket.exists(WAREHOUSE + "/_runs/" + runId + "/report.html")).isTrue();
    assertThat(bucket.text(WAREHOUSE + "/_runs/" + runId + "/report.html"))
        .contains("minilm", "digits-cnn", "ppocr-det");
    assertThat(run.appId()).as("the driver registered with the standalone master").isNotNull();
    assertThat(cluster.executorDirs(run.appId()))
        .as("executors of %s on both workers", run.appId())
        .hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  @Order(2)
  void autoModeOnTheClusterTimesAndScoresItsCandidatesAndPublishesTheChoice() throws Exception {
    JsonNode m = Bucket.model(bucket.summary(WAREHOUSE, runId), "digits-auto");
    assertThat(m.path("status").asText()).as("%s", m).isEqualTo("passed");
    JsonNode auto = m.path("auto");
    assertThat(auto.path("candidates").size()).isGreaterThanOrEqualTo(3);
    for (JsonNode c : auto.path("candidates")) {
      assertThat(c.path("speedup").asDouble()).as("timed in an executor: %s", c).isPositive();
      assertThat(c.path("metrics").path("rows").asLong()).as("scored: %s", c).isPositive();
    }
    assertThat(auto.path("timed-on").path("flags").size()).isPositive();
    assertThat(m.path("gate").path("thresholds").path("max-accuracy-drop-points").asDouble())
        .as("auto mode's default gate for a labelled model")
        .isEqualTo(1.0);
    String prefix = Bucket.runPrefix(WAREHOUSE, "digits-auto", runId);
    assertThat(bucket.verifyManifest(prefix + "/manifest.json")).isEmpty();
    JsonNode manifest = bucket.json(prefix + "/manifest.json");
    assertThat(manifest.path("auto").path("chosen").path("mode").asText())
        .isEqualTo(manifest.path("mode").asText());
    assertThat(bucket.text(prefix + "/auto.json")).contains("\"candidates\"");
    assertThat(bucket.text(prefix + "/report.html")).contains("Auto mode: candidates");
  }

  @Test
  @Order(2)
  void everyProcessCommandLineStaysUnderTheOnnxRuntimeLimit() {
    assertThat(commandLines).containsKey("driver");
    assertThat(commandLines.keySet().stream().filter(k -> k.startsWith("executor")))
        .as("executors seen while the run went on")
        .isNotEmpty();
    assertThat(commandLines.values())
        .as("bytes of /proc/<pid>/cmdline: %s", commandLines)
        .allSatisfy(n -> assertThat(n).isLessThan(MAX_COMMAND_LINE_BYTES));
  }

  @Test
  @Order(3)
  void latestManifestsAndArtifactsVerify() throws Exception {
    Map<String, java.nio.file.Path> fp32 =
        Map.of(
            "minilm",
            demo.minilmModel(),
            "digits-cnn",
            demo.digitsModel(),
            "ppocr-det",
            ppocr.model());
    for (String model : MODELS) {
      JsonNode latest = bucket.latest(WAREHOUSE, model).orElseThrow();
      assertThat(latest.path("run-id").asText()).as(model).isEqualTo(runId);
      String prefix = Bucket.runPrefix(WAREHOUSE, model, runId);
      assertThat(latest.path("manifest").asText())
          .isEqualTo(model + "/1/" + runId + "/manifest.json");
      assertThat(bucket.verifyManifest(prefix + "/manifest.json")).as(model).isEmpty();
      JsonNode manifest = bucket.json(prefix + "/manifest.json");
      List<String> names = new ArrayList<>();
      manifest.path("artifacts").forEach(a -> names.add(a.path("name").asText()));
      assertThat(names)
          .as(model)
          .contains("model.int8.onnx", "calibration.json", "validation.json", "report.html");
      assertThat(manifest.path("promoted").asBoolean()).isTrue();
      assertThat(manifest.path("inputs").path("model-sha256").asText())
          .as("%s: the FP32 model the manifest names is the one uploaded", model)
          .isEqualTo(Bucket.sha256(java.nio.file.Files.readAllBytes(fp32.get(model))));
      assertThat(manifest.path("inputs-hash").asText())
          .isEqualTo(latest.path("inputs-hash").asText());
      assertThat(bucket.text(prefix + "/report.html")).contains(model);
      JsonNode table = bucket.json(prefix + "/calibration.json");
      assertThat(table.path("model").asText()).isEqualTo(model);
    }
    // S3A leaves an empty directory marker ("_staging/") when it deletes the last child.
    assertThat(bucket.keys(WAREHOUSE + "/_staging/").stream().filter(k -> !k.endsWith("/")))
        .as("staging is cleaned up after the run")
        .isEmpty();
  }

  @Test
  @Order(4)
  void digitsInt8MeetsItsAccuracyGateInOnnxRuntime() throws Exception {
    byte[] int8 =
        bucket.bytes(Bucket.runPrefix(WAREHOUSE, "digits-cnn", runId) + "/model.int8.onnx");
    byte[] fp32 = java.nio.file.Files.readAllBytes(demo.digitsModel());
    List<ItData.Digit> rows = ItData.digits(ItData.DIGITS_TEST);
    OrtChecks.Accuracy acc = OrtChecks.digitsAccuracy(fp32, int8, rows);
    System.out.println("EndToEndIT: digits " + acc);
    assertThat(acc.rows()).isEqualTo(539);
    assertThat(acc.dropPoints()).isLessThanOrEqualTo(OctetRegistries.DIGITS_MAX_DROP_POINTS);
    JsonNode metrics = manifestMetrics("digits-cnn");
    assertThat(metrics.path("int8-accuracy").asDouble())
        .as("Octet's figure, from the manifest")
        .isCloseTo(acc.int8(), org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  @Order(5)
  void minilmInt8MeetsItsCosineGateInOnnxRuntime() throws Exception {
    byte[] int8 = bucket.bytes(Bucket.runPrefix(WAREHOUSE, "minilm", runId) + "/model.int8.onnx");
    byte[] fp32 = java.nio.file.Files.readAllBytes(demo.minilmModel());
    List<Group> rows =
        OrtChecks.firstById(
            ItData.readParquet(demo.minilmValidation(), g -> g),
            g -> g.getString("id", 0),
            OctetRegistries.MINILM_VALIDATION_ROWS);
    OrtChecks.Cosine cos = OrtChecks.minilmCosine(fp32, int8, rows);
    System.out.println("EndToEndIT: minilm " + cos);
    assertThat(cos.rows()).isEqualTo(OctetRegistries.MINILM_VALIDATION_ROWS);
    assertThat(cos.mean()).isGreaterThanOrEqualTo(OctetRegistries.MINILM_MIN_MEAN_COSINE);
    assertThat(manifestMetrics("minilm").path("mean-cosine").asDouble())
        .as("Octet's figure, from the manifest")
        .isCloseTo(cos.mean(), org.assertj.core.data.Offset.offset(2e-3));
  }

  @Test
  @Order(6)
  void ppocrInt8MeetsItsSqnrGateInOnnxRuntime() throws Exception {
    byte[] int8 =
        bucket.bytes(Bucket.runPrefix(WAREHOUSE, "ppocr-det", runId) + "/model.int8.onnx");
    byte[] fp32 = java.nio.file.Files.readAllBytes(ppocr.model());
    record Row(String id, float[] image) {}
    List<Row> rows =
        OrtChecks.firstById(
            ItData.readParquet(
                ppocr.validation(),
                g -> new Row(g.getString("id", 0), ItData.floatList(g, "image"))),
            Row::id,
            OctetRegistries.PPOCR_VALIDATION_ROWS);
    OrtChecks.Sqnr sqnr = OrtChecks.ppocrSqnr(fp32, int8, rows.stream().map(Row::image).toList());
    System.out.println("EndToEndIT: ppocr-det " + sqnr);
    assertThat(sqnr.db()).isGreaterThanOrEqualTo(OctetRegistries.PPOCR_MIN_SQNR_DB);
    assertThat(manifestMetrics("ppocr-det").path("sqnr-db").asDouble())
        .as("Octet's figure, from the manifest")
        .isCloseTo(sqnr.db(), org.assertj.core.data.Offset.offset(0.5));
  }

  private static JsonNode manifestMetrics(String model) {
    JsonNode manifest = bucket.json(Bucket.runPrefix(WAREHOUSE, model, runId) + "/manifest.json");
    return manifest.path("metrics");
  }
}
