package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import io.octet.jobs.Main;
import io.octet.publish.RunIds;
import io.octet.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input and fault matrix of issue 17: every case is one {@code octet run} (in process, the
 * way {@code bin/octet} runs it: {@code Main.run} on a local Spark session) on local storage and
 * again on the S3 server (S3Proxy, reached through S3A), each asserting the exit code, the one-line
 * message, what is published, where {@code latest} points, that every published manifest matches
 * its bytes, that nothing is half-published (a run prefix without a manifest) and that staging is
 * cleaned. The full-disk cases are in {@link FullDiskIT}.
 */
class FaultMatrixIT {
  static final String BUCKET = "octet-matrix";

  static S3Server s3;
  static Bucket bucket;
  static SparkSession spark;
  static Path dir;
  static String logits;

  /** Where a case's inputs and warehouse live. */
  enum Storage {
    LOCAL,
    S3
  }

  @BeforeAll
  static void setUp() throws IOException {
    dir = ItPaths.dataDir("fault-matrix");
    s3 = S3Server.create().start();
    s3.createBucket(BUCKET);
    bucket = new Bucket(s3, BUCKET);
    Map<String, Path> inputs = prepareInputs(dir.resolve("in"));
    for (Map.Entry<String, Path> e : inputs.entrySet()) {
      if (Files.isDirectory(e.getValue())) {
        bucket.put("in/" + e.getKey() + "/.keep", new byte[0]);
      } else {
        bucket.upload("in/" + e.getKey(), e.getValue());
      }
    }
    spark = session(s3);
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) {
      spark.stop();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  /** A local Spark session that reaches the S3 server, failing fast when storage fails. */
  static SparkSession session(S3Server server) {
    SparkSession.Builder b =
        SparkSession.builder()
            .master("local[2]")
            .appName("octet-fault-matrix")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.hadoop.fs.s3a.retry.limit", "1")
            .config("spark.hadoop.fs.s3a.retry.interval", "100ms")
            .config("spark.hadoop.fs.s3a.attempts.maximum", "1");
    S3aConf.hadoop(server).forEach((k, v) -> b.config("spark.hadoop." + k, v));
    return b.getOrCreate();
  }

  /** Writes every input file the cases use; returns them by name (relative to {@code in/}). */
  static Map<String, Path> prepareInputs(Path in) throws IOException {
    Files.createDirectories(in);
    Map<String, Path> out = new LinkedHashMap<>();
    byte[] model = Files.readAllBytes(ItData.digitsModel());
    out.put("digits.onnx", Files.write(in.resolve("digits.onnx"), model));
    out.put(
        "corrupt.onnx",
        Files.write(in.resolve("corrupt.onnx"), Arrays.copyOf(model, model.length / 2)));
    ModelProto m = ModelProto.parseFrom(model);
    logits = m.getGraph().getOutput(0).getName();
    out.put(
        "two-outputs.onnx",
        Files.write(in.resolve("two-outputs.onnx"), TestModels.withFeaturesFirst(m).toByteArray()));
    Path folder = Files.createDirectories(in.resolve("a-folder.onnx"));
    out.put("a-folder.onnx", folder);
    List<ItData.Digit> calib = ItData.digits(ItData.DIGITS_CALIB);
    List<ItData.Digit> test = ItData.digits(ItData.DIGITS_TEST);
    out.put("calib/part-0.parquet", write(in, "calib", calib));
    out.put("test/part-0.parquet", write(in, "test", test));
    out.put("empty/part-0.parquet", write(in, "empty", List.of()));
    List<ItData.Digit> badLabels = new ArrayList<>();
    for (int i = 0; i < test.size(); i++) {
      ItData.Digit d = test.get(i);
      badLabels.add(new ItData.Digit(d.id(), i < 7 ? 99 : d.label(), d.pixels()));
    }
    out.put("bad-labels/part-0.parquet", write(in, "bad-labels", badLabels));
    out.put(
        "wrong-shape/part-0.parquet",
        write(
            in,
            "wrong-shape",
            calib.stream()
                .map(d -> new ItData.Digit(d.id(), d.label(), Arrays.copyOf(d.pixels(), 60)))
                .toList()));
    return out;
  }

  private static Path write(Path in, String name, List<ItData.Digit> rows) throws IOException {
    Path d = Files.createDirectories(in.resolve(name));
    return ItData.writeDigits(d.resolve("part-0.parquet"), rows);
  }

  /** The URI of an input on the given storage. */
  static String in(Storage st, String rel) {
    return st == Storage.S3
        ? bucket.uri("in/" + rel)
        : dir.resolve("in").resolve(rel).toAbsolutePath().toUri().toString();
  }

  static Stream<Arguments> matrix() {
    List<Arguments> out = new ArrayList<>();
    for (Storage st : Storage.values()) {
      for (FaultCases.Case c : FaultCases.cases()) {
        out.add(Arguments.of(st, c));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("matrix")
  void everyCaseEndsAsSpecified(Storage st, FaultCases.Case c) throws IOException {
    String slug = c.name().replaceAll("[^a-z0-9]+", "-");
    // Every case starts from an empty warehouse (target/ outlives a build; the server does not).
    ItData.deleteTree(dir.resolve("wh").resolve(slug));
    Warehouse w =
        st == Storage.S3
            ? Warehouse.s3(bucket, "wh/" + slug)
            : Warehouse.local(dir.resolve("wh").resolve(slug));
    Path registry = Files.createDirectories(dir.resolve("registries")).resolve(st + "-" + slug);
    Files.writeString(
        registry,
        OctetRegistries.registry(
            w.uri(),
            "parallel-models = 2, scratch-dir = \"" + dir.resolve("scratch") + "\"",
            c.entries().apply(st).toArray(String[]::new)));
    String id = RunIds.next();
    List<String> argv =
        new ArrayList<>(List.of("run", "--registry", registry.toString(), "--run-id", id));
    if (c.reuseRunId()) {
      Result first = run(argv);
      assertThat(first.code()).as(first.all()).isZero();
    }
    Map<String, String> before = w.snapshot();
    argv.addAll(c.args());

    Result r = run(argv);

    assertThat(r.code()).as(r.all()).isEqualTo(c.exit());
    Pattern p = Pattern.compile(c.line());
    assertThat(r.all().lines().filter(l -> p.matcher(l).find()).toList())
        .as("a line matching %s in%n%s", c.line(), r.all())
        .isNotEmpty();
    assertThat(r.all()).as("no stack trace on the console").doesNotContain("\tat ");
    if (c.reuseRunId()) {
      assertThat(w.snapshot()).as("the warehouse after the refused run").isEqualTo(before);
    }
    Set<String> published = new TreeSet<>();
    Set<String> prefixes = new TreeSet<>();
    for (String key : w.keys()) {
      String[] parts = key.split("/");
      if (parts.length >= 4 && !parts[0].startsWith("_") && RunIds.isValid(parts[2])) {
        prefixes.add(parts[0] + "/" + parts[1] + "/" + parts[2]);
      }
    }
    for (String prefix : prefixes) {
      assertThat(w.exists(prefix + "/manifest.json"))
          .as("nothing half-published: %s has a manifest (keys %s)", prefix, w.keys())
          .isTrue();
      assertThat(w.verify(prefix + "/manifest.json")).as(prefix).isEmpty();
      if (prefix.endsWith("/" + id)) {
        published.add(prefix.substring(0, prefix.indexOf('/')));
      }
    }
    assertThat(published).as("models published by the run").isEqualTo(c.published());
    for (String model :
        List.of(
            "ok",
            "corrupt",
            "missing",
            "folder",
            "column",
            "empty",
            "shape",
            "unnamed",
            "features",
            "named",
            "strict",
            "labels",
            "same")) {
      Optional<JsonNode> latest =
          w.exists(model + "/latest") ? Optional.of(w.json(model + "/latest")) : Optional.empty();
      if (c.promoted().contains(model)) {
        assertThat(latest).as("%s/latest", model).isPresent();
        assertThat(latest.get().path("run-id").asText()).isEqualTo(id);
        assertThat(w.verify(latest.get().path("manifest").asText())).isEmpty();
      } else {
        assertThat(latest).as("%s/latest", model).isEmpty();
      }
    }
    assertThat(w.keys().stream().filter(k -> k.startsWith("_staging/")).toList())
        .as("staging cleaned")
        .isEmpty();
    if (c.exit() != 2) {
      assertThat(w.exists("_runs/" + id + "/summary.json")).as("summary").isTrue();
      assertThat(w.exists("_runs/" + id + "/report.html")).as("run report").isTrue();
    }
    c.check().accept(w, id);
  }

  /** A run's exit code and console. */
  record Result(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  static Result run(List<String> argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // Octet reads -Doctet.<key> system properties as overrides; the harness's own octet.it.*
    // properties would be refused as unknown keys, so they step aside during the run.
    Map<String, String> harness = new TreeMap<>();
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("octet.it.")) {
        harness.put(k, System.getProperty(k));
      }
    }
    harness.keySet().forEach(System::clearProperty);
    int code;
    try {
      code =
          Main.run(
              argv.toArray(String[]::new),
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
    } finally {
      harness.forEach(System::setProperty);
    }
    Result r =
        new Result(
            code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    System.out.print(r.all());
    return r;
  }
}
