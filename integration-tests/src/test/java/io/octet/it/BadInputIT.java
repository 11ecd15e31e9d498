package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.it.SparkCluster.SubmitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input on real components: one spark-submit run of a registry where one model is good and
 * every other entry has one problem (corrupt model bytes, a model missing from the bucket, a
 * missing dataset column, a column of the wrong type, rows of the wrong shape, an empty dataset,
 * NaN/Inf in the data, a bucket the credentials cannot read, a bucket that does not exist). Each
 * test checks one entry: a clear error naming the model and the cause, in the driver output and in
 * the run summary, nothing published for it, while the good model is published.
 *
 * <p>Problems that make the registry itself unusable (an unknown key, a model name with {@code
 * ../}, credentials that cannot read the registry) abort before any work, each in its own short
 * submission.
 */
class BadInputIT {
  private static final String BUCKET = "octet-bad";

  /** A bucket that exists and holds a model, but the credentials configured for it are wrong. */
  private static final String LOCKED_BUCKET = "octet-locked";

  /** A wrong secret configured for {@link #LOCKED_BUCKET}: it must not leak either. */
  private static final String WRONG_SECRET = "octet-it-wrong-secret-for-the-locked-bucket";

  private static final String WAREHOUSE = "zoo";
  private static final String GOOD = "digits-ok";

  private static S3Server s3;
  private static SparkCluster cluster;
  private static OctetRuns octet;
  private static Bucket bucket;
  private static String runId;
  private static SubmitResult run;
  private static JsonNode summary;

  @BeforeAll
  static void setUp() throws Exception {
    ItPaths.sparkHome();
    ItPaths.octetJar();
    s3 = S3Server.create().start();
    cluster = SparkCluster.builder().workers(2).build().start();
    octet = new OctetRuns(cluster, s3, OctetRuns.Credentials.SPARK_CONF);
    s3.createBucket(BUCKET);
    s3.createBucket(LOCKED_BUCKET);
    bucket = new Bucket(s3, BUCKET);

    Path dir = ItPaths.dataDir("bad-input");
    List<ItData.Digit> calib = ItData.digits(ItData.DIGITS_CALIB);
    List<ItData.Digit> test = ItData.digits(ItData.DIGITS_TEST);
    byte[] model = Files.readAllBytes(ItData.digitsModel());
    bucket.put("models/digits_cnn.onnx", model);
    bucket.put("models/corrupt.onnx", Arrays.copyOf(model, model.length / 2));
    new Bucket(s3, LOCKED_BUCKET).put("models/digits_cnn.onnx", model);
    bucket.upload(
        "data/calib/part-0.parquet", ItData.writeDigits(dir.resolve("calib.parquet"), calib));
    bucket.upload(
        "data/test/part-0.parquet", ItData.writeDigits(dir.resolve("test.parquet"), test));
    bucket.upload(
        "data/wrong-shape/part-0.parquet",
        ItData.writeDigits(
            dir.resolve("wrong-shape.parquet"),
            calib.stream()
                .map(d -> new ItData.Digit(d.id(), d.label(), Arrays.copyOf(d.pixels(), 60)))
                .toList()));
    bucket.upload(
        "data/empty/part-0.parquet", ItData.writeDigits(dir.resolve("empty.parquet"), List.of()));
    List<ItData.Digit> poisoned = new ArrayList<>(calib);
    float[] nan = poisoned.get(3).pixels().clone();
    nan[10] = Float.NaN;
    poisoned.set(3, new ItData.Digit(poisoned.get(3).id(), poisoned.get(3).label(), nan));
    float[] inf = poisoned.get(7).pixels().clone();
    inf[0] = Float.POSITIVE_INFINITY;
    poisoned.set(7, new ItData.Digit(poisoned.get(7).id(), poisoned.get(7).label(), inf));
    bucket.upload(
        "data/nan-inf/part-0.parquet",
        ItData.writeDigits(dir.resolve("nan-inf.parquet"), poisoned));
    MessageType strings =
        MessageTypeParser.parseMessageType(
            "message spark_schema { required binary id (STRING); required int32 label;"
                + " required group image (LIST) { repeated group list {"
                + " required binary element (STRING); } } }");
    bucket.upload(
        "data/wrong-dtype/part-0.parquet",
        ItData.writeParquet(
            dir.resolve("wrong-dtype.parquet"),
            strings,
            calib,
            (ItData.Digit d, Group g) -> {
              g.append("id", d.id()).append("label", d.label());
              Group list = g.addGroup("image");
              for (float p : d.pixels()) {
                list.addGroup("list").append("element", Float.toString(p));
              }
            }));

    String m = bucket.uri("models/digits_cnn.onnx");
    String cal = bucket.uri("data/calib");
    String val = bucket.uri("data/test");
    bucket.put(
        "registry.conf",
        OctetRegistries.registry(
            bucket.uri(WAREHOUSE),
            "parallel-models = 2",
            OctetRegistries.digits(GOOD, m, cal, val, ""),
            OctetRegistries.digits(
                "corrupt-model", bucket.uri("models/corrupt.onnx"), cal, val, ""),
            OctetRegistries.digits("missing-model", bucket.uri("models/nope.onnx"), cal, val, ""),
            OctetRegistries.digits(
                "missing-column",
                m,
                cal,
                val,
                "inputs = [ { name = image, column = pixels, dtype = float32, shape = [1, 8, 8] } ]"),
            OctetRegistries.digits("wrong-dtype", m, bucket.uri("data/wrong-dtype"), val, ""),
            OctetRegistries.digits("wrong-shape", m, bucket.uri("data/wrong-shape"), val, ""),
            OctetRegistries.digits("empty-dataset", m, bucket.uri("data/empty"), val, ""),
            OctetRegistries.digits("nan-inf", m, bucket.uri("data/nan-inf"), val, ""),
            OctetRegistries.digits(
                "wrong-credentials",
                "s3a://" + LOCKED_BUCKET + "/models/digits_cnn.onnx",
                cal,
                val,
                ""),
            OctetRegistries.digits(
                "missing-bucket",
                "s3a://octet-no-such-bucket/models/digits_cnn.onnx",
                cal,
                val,
                "")));

    runId = OctetRuns.runId();
    run =
        octet
            .start(
                bucket.uri("registry.conf"),
                runId,
                Map.of("spark.hadoop.fs.s3a.bucket." + LOCKED_BUCKET + ".secret.key", WRONG_SECRET),
                List.of())
            .await(Duration.ofMinutes(8));
    System.out.printf("BadInputIT: run %s took %d s%n", runId, run.elapsed().toSeconds());
    System.out.println(String.join("\n", run.linesStartingWith("[octet] ")));
    summary = bucket.summary(WAREHOUSE, runId);
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
                List.of(s3.secretKey(), WRONG_SECRET),
                cluster.runDir(),
                s3.dataDir(),
                s3.logFile().getParent()))
        .as("files holding a secret key (logs, scratch, bucket objects)")
        .isEmpty();
  }

  @Test
  void theGoodModelIsPublishedAndTheRunExitsWithOne() {
    assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
    JsonNode good = Bucket.model(summary, GOOD);
    assertThat(good.path("status").asText()).as(good.toString()).isEqualTo("passed");
    JsonNode latest = bucket.latest(WAREHOUSE, GOOD).orElseThrow();
    assertThat(latest.path("run-id").asText()).isEqualTo(runId);
    assertThat(bucket.verifyManifest(WAREHOUSE + "/" + latest.path("manifest").asText())).isEmpty();
    assertThat(summary.path("models")).hasSize(10);
  }

  @Test
  void corruptModelBytes() {
    assertFailed("corrupt-model", "load", "s3a://" + BUCKET + "/models/corrupt.onnx", "truncated");
  }

  @Test
  void modelMissingFromTheBucket() {
    assertFailed("missing-model", "load", "nope.onnx", "does not exist");
  }

  @Test
  void datasetColumnMissing() {
    assertFailed("missing-column", "calibrate", "no column 'pixels'", "[id, label, image]");
  }

  @Test
  void datasetColumnOfTheWrongType() {
    assertFailed("wrong-dtype", "calibrate", "column 'image'", "array<string>", "float32");
  }

  @Test
  void rowsOfTheWrongShape() {
    assertFailed("wrong-shape", "calibrate", "60 values", "needs 64");
  }

  @Test
  void emptyDataset() {
    assertFailed("empty-dataset", "calibrate", "data/empty", "no rows");
  }

  @Test
  void nanAndInfInTheData() {
    assertFailed("nan-inf", "calibrate", "column 'image'", "NaN/Inf");
  }

  @Test
  void bucketTheCredentialsCannotRead() {
    assertFailed("wrong-credentials", "load", "access denied", "bucket '" + LOCKED_BUCKET + "'");
  }

  @Test
  void bucketThatDoesNotExist() {
    assertFailed("missing-bucket", "load", "bucket 'octet-no-such-bucket' does not exist");
  }

  @Test
  void configTypoAbortsBeforeAnyWorkNamingTheKeyAndTheFile() {
    String good =
        OctetRegistries.digits(
            GOOD,
            bucket.uri("models/digits_cnn.onnx"),
            bucket.uri("data/calib"),
            bucket.uri("data/test"),
            "");
    bucket.put(
        "typo.conf",
        OctetRegistries.registry(
            bucket.uri("typo-zoo"),
            "parallel-models = 2",
            good.replace("calibration {", "calibraton {")));

    SubmitResult r =
        octet.run(bucket.uri("typo.conf"), OctetRuns.runId(), List.of(), Duration.ofMinutes(3));

    assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
    assertThat(r.output())
        .as(r.describe())
        .contains("calibraton")
        .contains("s3a://" + BUCKET + "/typo.conf")
        .contains("calibration");
    assertThat(r.appId()).as("no Spark application was started").isNull();
    assertThat(bucket.keys("typo-zoo/")).as("nothing written").isEmpty();
  }

  @Test
  void modelNameWithDotDotIsRefusedAtLoad() {
    bucket.put(
        "escape.conf",
        OctetRegistries.registry(
            bucket.uri("escape-zoo/inner"),
            "parallel-models = 2",
            OctetRegistries.digits(
                "../escape",
                bucket.uri("models/digits_cnn.onnx"),
                bucket.uri("data/calib"),
                bucket.uri("data/test"),
                ""),
            OctetRegistries.digits(
                GOOD,
                bucket.uri("models/digits_cnn.onnx"),
                bucket.uri("data/calib"),
                bucket.uri("data/test"),
                "")));

    SubmitResult r =
        octet.run(bucket.uri("escape.conf"), OctetRuns.runId(), List.of(), Duration.ofMinutes(3));

    assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
    assertThat(r.output()).as(r.describe()).contains("../escape").contains("not allowed");
    assertThat(r.appId()).as("no Spark application was started").isNull();
    assertThat(bucket.keys("escape-zoo/")).as("nothing written, inside or outside").isEmpty();
  }

  @Test
  void wrongCredentialsGiveAClearErrorAndNoSecret() {
    SubmitResult r =
        octet
            .start(
                bucket.uri("registry.conf"),
                OctetRuns.runId(),
                Map.of("spark.hadoop.fs.s3a.secret.key", WRONG_SECRET),
                List.of())
            .await(Duration.ofMinutes(3));

    System.out.println("BadInputIT: wrong credentials -> " + r.linesStartingWith("octet: "));
    assertThat(r.exitCode()).as("a registry that cannot be read is a usage error").isEqualTo(2);
    assertThat(r.appId()).as("no Spark application was started").isNull();
    assertThat(r.linesStartingWith("octet: "))
        .as(r.describe())
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("s3a://" + BUCKET + "/registry.conf")
                    .containsIgnoringCase("access denied"));
    assertThat(r.output()).doesNotContain(WRONG_SECRET).doesNotContain(s3.secretKey());
  }

  /**
   * Checks one failed model: the summary's status, stage and message, the driver's progress line
   * naming the model, and nothing published for it.
   */
  private static void assertFailed(String model, String stage, String... causes) {
    JsonNode m = Bucket.model(summary, model);
    System.out.printf("BadInputIT: %s -> %s%n", model, m.path("error"));
    assertThat(m.path("status").asText()).as(m.toString()).isEqualTo("failed");
    String message = m.path("error").path("message").asText();
    assertThat(message).as("error of %s", model).startsWith("Model '" + model + "'");
    if (stage != null) {
      assertThat(m.path("error").path("stage").asText()).as(message).isEqualTo(stage);
    }
    for (String cause : causes) {
      assertThat(message).as("error of %s", model).contains(cause);
    }
    assertThat(run.output())
        .as("the driver names the model and the cause")
        .containsPattern("\\[octet\\] " + java.util.regex.Pattern.quote(model) + "\\s+FAILED");
    assertThat(bucket.latest(WAREHOUSE, model)).as("latest of %s", model).isEmpty();
    assertThat(bucket.keys(WAREHOUSE + "/" + model + "/").stream().filter(k -> !k.endsWith("/")))
        .as("objects published for %s", model)
        .isEmpty();
  }
}
