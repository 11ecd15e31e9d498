package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.octet.jobs.Main;
import io.octet.publish.RunIds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
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
import java.util.function.BiConsumer;
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
  private static final ObjectMapper JSON = new ObjectMapper();

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
        Files.write(in.resolve("two-outputs.onnx"), withFeaturesFirst(m).toByteArray()));
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

  /**
   * The digits CNN with a first output "features" [N, 64] whose argmax is never a class index, then
   * the logits: accuracy on the first output is exactly 0.
   */
  static ModelProto withFeaturesFirst(ModelProto m) {
    GraphProto.Builder g = m.getGraph().toBuilder();
    TensorProto.Builder bias =
        TensorProto.newBuilder()
            .setName("features_bias")
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .addDims(64);
    for (int i = 0; i < 64; i++) {
      bias.addFloatData(i < 10 ? -1e6f : 1e6f);
    }
    g.addInitializer(bias);
    g.addNode(
        NodeProto.newBuilder()
            .setName("features_flatten")
            .setOpType("Flatten")
            .addInput(g.getInput(0).getName())
            .addOutput("features_flat"));
    g.addNode(
        NodeProto.newBuilder()
            .setName("features_add")
            .setOpType("Add")
            .addInput("features_flat")
            .addInput("features_bias")
            .addOutput("features"));
    ValueInfoProto logitsOut = g.getOutput(0);
    ValueInfoProto features =
        ValueInfoProto.newBuilder()
            .setName("features")
            .setType(
                TypeProto.newBuilder()
                    .setTensorType(
                        TypeProto.Tensor.newBuilder()
                            .setElemType(TensorProto.DataType.FLOAT_VALUE)))
            .build();
    g.clearOutput().addOutput(features).addOutput(logitsOut);
    return m.toBuilder().setGraph(g).build();
  }

  /** The URI of an input on the given storage. */
  static String in(Storage st, String rel) {
    return st == Storage.S3
        ? bucket.uri("in/" + rel)
        : dir.resolve("in").resolve(rel).toAbsolutePath().toUri().toString();
  }

  /** A digits model entry; {@code extra} goes inside the entry, {@code validation} into it. */
  static String entry(
      Storage st, String name, String model, String calib, String val, String extra) {
    return """
          "%s" {
            uri = "%s"
            calibration { dataset = "%s" }
            validation {
              dataset = "%s", latency-rows = 0, node-sqnr-rows = 0
              gate { max-accuracy-drop-points = 1 }
            }
            label-column = label
            id-column = id
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
            %s
          }
        """
        .formatted(name, in(st, model), in(st, calib), in(st, val), extra);
  }

  static String ok(Storage st, String name) {
    return entry(st, name, "digits.onnx", "calib", "test", "");
  }

  /**
   * One case of the matrix.
   *
   * @param name the case
   * @param entries the registry's model entries
   * @param args arguments after {@code run --registry R --run-id ID}
   * @param exit the exit code
   * @param line a pattern one output line must match
   * @param published models with a manifest under the run
   * @param promoted models whose latest points at the run (the others have no latest)
   * @param reuseRunId run once first with the same run id (that run must pass)
   * @param check more assertions on the warehouse, given the run id
   */
  record Case(
      String name,
      java.util.function.Function<Storage, List<String>> entries,
      List<String> args,
      int exit,
      String line,
      Set<String> published,
      Set<String> promoted,
      boolean reuseRunId,
      BiConsumer<Warehouse, String> check) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case c(
      String name,
      java.util.function.Function<Storage, List<String>> entries,
      List<String> args,
      int exit,
      String line,
      Set<String> published,
      Set<String> promoted) {
    return new Case(name, entries, args, exit, line, published, promoted, false, (w, id) -> {});
  }

  static List<Case> cases() {
    List<Case> cs = new ArrayList<>();
    cs.add(
        c(
            "clean run",
            st -> List.of(ok(st, "ok")),
            List.of(),
            0,
            "\\[octet\\] ok +publish .*\\(latest\\)",
            Set.of("ok"),
            Set.of("ok")));
    cs.add(
        new Case(
            "reused run id",
            st -> List.of(ok(st, "ok")),
            List.of("--force", "--set", "quantization.method=minmax"),
            2,
            "^octet: Run id '[^']+' was already used",
            Set.of("ok"),
            Set.of("ok"),
            true,
            (w, id) -> {}));
    cs.add(
        new Case(
            "model named twice",
            st -> List.of(ok(st, "ok")),
            List.of("--models", "ok,ok"),
            0,
            "--models names 'ok' more than once; it runs once",
            Set.of("ok"),
            Set.of("ok"),
            false,
            (w, id) ->
                assertThat(w.json("_runs/" + id + "/summary.json").path("models")).hasSize(1)));
    cs.add(
        c(
            "unknown model in --models",
            st -> List.of(ok(st, "ok")),
            List.of("--models", "nope"),
            2,
            "^octet: .*no model named 'nope'",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "corrupt model",
            st -> List.of(ok(st, "ok"), entry(st, "corrupt", "corrupt.onnx", "calib", "test", "")),
            List.of(),
            1,
            "\\[octet\\] corrupt +FAILED +\\w+: Model 'corrupt'.*corrupt\\.onnx",
            Set.of("ok"),
            Set.of("ok")));
    cs.add(
        c(
            "missing model file",
            st -> List.of(ok(st, "ok"), entry(st, "missing", "nope.onnx", "calib", "test", "")),
            List.of(),
            1,
            "\\[octet\\] missing +FAILED .*nope\\.onnx.*does not exist",
            Set.of("ok"),
            Set.of("ok")));
    cs.add(
        c(
            "model uri is a directory",
            st -> List.of(entry(st, "folder", "a-folder.onnx", "calib", "test", "")),
            List.of(),
            1,
            "\\[octet\\] folder +FAILED .*a-folder\\.onnx.*is a directory, not a file",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "missing dataset column",
            st ->
                List.of(
                    entry(
                        st,
                        "column",
                        "digits.onnx",
                        "calib",
                        "test",
                        "inputs = [ { name = image, column = pixels, dtype = float32, shape = [1,"
                            + " 8, 8] } ]")),
            List.of(),
            1,
            "\\[octet\\] column +FAILED .*no column 'pixels'",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "empty calibration dataset",
            st -> List.of(entry(st, "empty", "digits.onnx", "empty", "test", "")),
            List.of(),
            1,
            "\\[octet\\] empty +FAILED .*has no rows",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "rows of the wrong shape",
            st -> List.of(entry(st, "shape", "digits.onnx", "wrong-shape", "test", "")),
            List.of(),
            1,
            "\\[octet\\] shape +FAILED .*(shape|elements)",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "partitions beyond the row count",
            st -> List.of(ok(st, "ok")),
            List.of("--set", "calibration.partitions=1000"),
            0,
            "calibration.partitions = 1000 is more than the dataset's 179 rows; using 179",
            Set.of("ok"),
            Set.of("ok")));
    cs.add(
        c(
            "several outputs, none named, with labels",
            st -> List.of(entry(st, "unnamed", "two-outputs.onnx", "calib", "test", "")),
            List.of(),
            1,
            "\\[octet\\] unnamed +FAILED +validate: .*has 2 outputs .*set validation.output",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "gate on an output where FP32 scores 0",
            st ->
                List.of(
                    entry(
                        st,
                        "features",
                        "two-outputs.onnx",
                        "calib",
                        "test",
                        "validation.output = features")),
            List.of(),
            1,
            "\\[octet\\] features +FAILED +validate: .*FP32 top-1 accuracy on output 'features'"
                + " is 0 %",
            Set.of(),
            Set.of()));
    cs.add(
        new Case(
            "gate on the named output",
            st ->
                List.of(
                    entry(
                        st,
                        "named",
                        "two-outputs.onnx",
                        "calib",
                        "test",
                        "validation.output = \"" + logits + "\"")),
            List.of(),
            0,
            "\\[octet\\] named +publish .*\\(latest\\)",
            Set.of("named"),
            Set.of("named"),
            false,
            (w, id) -> {
              JsonNode v = w.json("named/1/" + id + "/validation.json");
              assertThat(v.path("output").asText()).isEqualTo(logits);
              assertThat(v.path("output-rule").asText()).isEqualTo("validation.output");
            }));
    cs.add(
        c(
            "gate missed: published, not promoted",
            st -> List.of(ok(st, "strict")),
            List.of("--set", "validation.gate.min-sqnr-db=200"),
            1,
            "\\[octet\\] strict +publish .*not promoted: gate failed",
            Set.of("strict"),
            Set.of()));
    cs.add(
        c(
            "bad value from --set",
            st -> List.of(ok(st, "ok")),
            List.of("--set", "calibration.num-bins=lots"),
            2,
            "^octet: Config error in '--set calibration.num-bins=lots' at key"
                + " '[^']*calibration.num-bins'",
            Set.of(),
            Set.of()));
    cs.add(
        new Case(
            "labels out of range",
            st -> List.of(entry(st, "labels", "digits.onnx", "calib", "bad-labels", "")),
            List.of(),
            0,
            "\\[octet\\] labels +warning +7 of 539 labels in column 'label' are no class index",
            Set.of("labels"),
            Set.of("labels"),
            false,
            (w, id) -> {
              JsonNode m = Bucket.model(w.json("_runs/" + id + "/summary.json"), "labels");
              assertThat(m.path("warnings").toString()).contains("7 of 539 labels");
              assertThat(
                      w.json("labels/1/" + id + "/validation.json")
                          .path("labels-out-of-range")
                          .asLong())
                  .isEqualTo(7);
            }));
    cs.add(
        c(
            "validation data = calibration data",
            st -> List.of(entry(st, "same", "digits.onnx", "calib", "calib", "")),
            List.of(),
            0,
            "\\[octet\\] same +warning +validation.dataset is the calibration dataset",
            Set.of("same"),
            Set.of("same")));
    return cs;
  }

  static Stream<Arguments> matrix() {
    List<Arguments> out = new ArrayList<>();
    for (Storage st : Storage.values()) {
      for (Case c : cases()) {
        out.add(Arguments.of(st, c));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("matrix")
  void everyCaseEndsAsSpecified(Storage st, Case c) throws IOException {
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

  /** Read access to a warehouse on either storage, independent of Octet's own code. */
  interface Warehouse {
    String uri();

    List<String> keys();

    boolean exists(String rel);

    byte[] bytes(String rel);

    default JsonNode json(String rel) {
      try {
        return JSON.readTree(bytes(rel));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Every key with the SHA-256 of its bytes. */
    default Map<String, String> snapshot() {
      Map<String, String> out = new TreeMap<>();
      for (String k : keys()) {
        out.put(k, Bucket.sha256(bytes(k)));
      }
      return out;
    }

    /** Checks a manifest against the bytes next to it; returns the problems. */
    default List<String> verify(String manifest) {
      List<String> problems = new ArrayList<>();
      JsonNode m = json(manifest);
      String prefix = manifest.substring(0, manifest.lastIndexOf('/'));
      if (m.path("artifacts").isEmpty()) {
        problems.add("no artifacts listed");
      }
      for (JsonNode a : m.path("artifacts")) {
        String key = prefix + "/" + a.path("name").asText();
        if (!exists(key)) {
          problems.add(key + " missing");
        } else if (!Bucket.sha256(bytes(key)).equals(a.path("sha256").asText())) {
          problems.add(key + " differs from its manifest");
        }
      }
      return problems;
    }

    static Warehouse local(Path root) {
      return new Warehouse() {
        @Override
        public String uri() {
          return root.toAbsolutePath().toUri().toString();
        }

        @Override
        public List<String> keys() {
          if (!Files.isDirectory(root)) {
            return List.of();
          }
          try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                .map(p -> root.relativize(p).toString())
                .filter(k -> !k.contains("/.") && !k.startsWith("."))
                .sorted()
                .toList();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }

        @Override
        public boolean exists(String rel) {
          return Files.isRegularFile(root.resolve(rel));
        }

        @Override
        public byte[] bytes(String rel) {
          try {
            return Files.readAllBytes(root.resolve(rel));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
    }

    static Warehouse s3(Bucket b, String prefix) {
      return new Warehouse() {
        @Override
        public String uri() {
          return b.uri(prefix);
        }

        @Override
        public List<String> keys() {
          return b.keys(prefix + "/").stream()
              .filter(k -> !k.endsWith("/"))
              .map(k -> k.substring(prefix.length() + 1))
              .toList();
        }

        @Override
        public boolean exists(String rel) {
          return b.exists(prefix + "/" + rel);
        }

        @Override
        public byte[] bytes(String rel) {
          return b.bytes(prefix + "/" + rel);
        }
      };
    }
  }
}
