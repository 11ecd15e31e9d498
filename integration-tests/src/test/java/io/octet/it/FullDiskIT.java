package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.it.FaultMatrixIT.Result;
import io.octet.publish.RunIds;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A warehouse on a disk that fills up while a run publishes: a real full disk, a tmpfs mounted in a
 * private mount namespace ({@code unshare -rm}: unprivileged user namespaces, no root and no
 * leftover mount). On the S3 server the bucket's directory is the tmpfs (the server runs in the
 * namespace); on local storage the Octet run itself runs in it as a child process, since only
 * processes inside the namespace see the mount. Either way: exit 1, one line naming the model and
 * the file, the run summary written, nothing half-published, {@code latest} untouched.
 *
 * <p>The disk's size is measured, not guessed: a clean run on a normal disk gives the FP32 model
 * and the artifacts' sizes, and the small disk holds the run's staging plus about one artifact.
 */
class FullDiskIT {
  private static final String INPUTS = "octet-in";
  private static final String FULL = "octet-full";

  private static Path dir;
  private static Path model;
  private static Path calib;
  private static Path test;
  private static long diskBytes;

  @BeforeAll
  static void measure() throws Exception {
    dir = ItPaths.dataDir("full-disk");
    model = ItData.digitsModel();
    calib =
        ItData.writeDigits(
            Files.createDirectories(dir.resolve("calib")).resolve("part-0.parquet"),
            ItData.digits(ItData.DIGITS_CALIB));
    test =
        ItData.writeDigits(
            Files.createDirectories(dir.resolve("test")).resolve("part-0.parquet"),
            ItData.digits(ItData.DIGITS_TEST));
    // A clean run on a normal disk, in process, to size the small one.
    try (S3Server plain = S3Server.create().start()) {
      SparkSession spark = FaultMatrixIT.session(plain);
      try {
        Path wh = dir.resolve("clean");
        String id = RunIds.next();
        Result r = FaultMatrixIT.run(runArgs(registry(wh.toUri().toString(), "local"), id));
        assertThat(r.code()).as(r.all()).isZero();
        Path prefix = wh.resolve("digits/1/" + id);
        long staged =
            Files.size(model)
                + Files.size(prefix.resolve("calibration.json"))
                + Files.size(prefix.resolve("model.int8.onnx"))
                + Files.size(prefix.resolve("validation.json"));
        // Staging fits (with a page of slack per file), then about one artifact more.
        diskBytes = staged + Files.size(prefix.resolve("model.int8.onnx")) + 16 * 4096;
        System.out.printf(
            "FullDiskIT: staging ~%d bytes, small disk %d bytes%n", staged, diskBytes);
      } finally {
        spark.stop();
      }
    }
  }

  static Path registry(String warehouse, String name) throws IOException {
    Path p = Files.createDirectories(dir.resolve("registries")).resolve(name + ".conf");
    Files.writeString(
        p,
        OctetRegistries.registry(
            warehouse,
            "scratch-dir = \"" + dir.resolve("scratch") + "\"",
            OctetRegistries.digits(
                "digits",
                model.toUri().toString(),
                calib.getParent().toUri().toString(),
                test.getParent().toUri().toString(),
                // No per-node SQNR: its staged models would change the staging size measured.
                "validation.node-sqnr-rows = 0")));
    return p;
  }

  static List<String> runArgs(Path registry, String id) {
    return new ArrayList<>(
        List.of("run", "--registry", registry.toString(), "--run-id", id, "--force"));
  }

  static void assertFullDiskOutcome(Result r, Warehouse w, String id, String uriPrefix) {
    assertThat(r.code()).as(r.all()).isEqualTo(1);
    List<String> failed = r.all().lines().filter(l -> l.contains(" FAILED ")).toList();
    assertThat(failed).as(r.all()).hasSize(1);
    assertThat(failed.get(0))
        .contains("[octet] digits")
        .contains("FAILED     publish: ")
        .contains("Model 'digits': Storage error while ")
        .contains(uriPrefix);
    assertThat(r.all()).doesNotContain("\tat ").doesNotContain("crashed");
    JsonNode summary = w.json("_runs/" + id + "/summary.json");
    assertThat(Bucket.model(summary, "digits").path("status").asText()).isEqualTo("failed");
    assertThat(
            w.keys().stream()
                .filter(k -> k.startsWith("digits/1/" + id + "/"))
                .filter(k -> !k.endsWith("manifest.json"))
                .toList())
        .as("nothing half-published")
        .satisfiesAnyOf(
            keys -> assertThat(keys).isEmpty(),
            keys -> assertThat(w.exists("digits/1/" + id + "/manifest.json")).isTrue());
    assertThat(w.exists("digits/1/" + id + "/manifest.json")).as("no manifest").isFalse();
    assertThat(w.exists("digits/latest")).as("latest").isFalse();
  }

  @Test
  void onTheS3ServerARunThatFillsTheBucketsDiskFailsThatModelAndWritesItsSummary()
      throws Exception {
    try (S3Server s3 = S3Server.create().smallDisk(FULL, diskBytes).start()) {
      s3.createBucket(FULL);
      SparkSession spark = FaultMatrixIT.session(s3);
      try {
        Bucket bucket = new Bucket(s3, FULL);
        String id = RunIds.next();
        Result r = FaultMatrixIT.run(runArgs(registry(bucket.uri("zoo"), "s3"), id));
        System.out.printf("FullDiskIT (S3): exit %d%n", r.code());
        Warehouse w = Warehouse.s3(bucket, "zoo");
        assertFullDiskOutcome(r, w, id, "s3a://" + FULL + "/zoo/");
      } finally {
        spark.stop();
      }
    }
  }

  @Test
  void onALocalDiskARunThatFillsItFailsThatModelAndWritesItsSummary() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("small-disk"));
    Path copy = dir.resolve("small-disk-copy");
    ItData.deleteTree(copy);
    Files.createDirectories(copy);
    String id = RunIds.next();
    Path registry = registry(mount.toUri().toString(), "local-small");
    List<String> java = new ArrayList<>();
    java.add(S3Server.javaBinary());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-Dio.netty") || a.startsWith("-Djdk.")) {
        java.add(a);
      }
    }
    // In an @argfile: ONNX Runtime's native init crashes when the command line passes ~4 KB.
    Path argfile = dir.resolve("local-small-disk.args");
    Files.writeString(
        argfile, "-cp \"" + System.getProperty("java.class.path") + "\"\n", StandardCharsets.UTF_8);
    // Logging as bin/octet sets it up: one line per failure on the console, traces in the file.
    java.addAll(
        List.of(
            "-Xmx1g",
            "-Dlog4j2.configurationFile=" + ItPaths.repoRoot().resolve("conf/log4j2.properties"),
            "-Doctetlog.file=" + dir.resolve("local-small-disk-octet.log"),
            "@" + argfile));
    java.add("io.octet.jobs.Main");
    java.addAll(runArgs(registry, id));
    List<String> command = new ArrayList<>(List.of("unshare", "-rm", "sh", "-c"));
    // Mount, run, keep what landed (the mount dies with the namespace), report the exit code.
    command.add(
        "mount -t tmpfs -o size=\"$1\" tmpfs \"$2\" && shift 3 && \"$@\"; rc=$?;"
            + " cp -a \"$MOUNT\"/. \"$COPY\"/; exit $rc");
    command.addAll(List.of("full-disk", Long.toString(diskBytes), mount.toString(), "--"));
    command.addAll(java);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(Map.of("MOUNT", mount.toString(), "COPY", copy.toString()));
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Path log = dir.resolve("local-small-disk.log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(Duration.ofMinutes(5).toSeconds(), TimeUnit.SECONDS))
        .as("run on the small disk; log %s", log)
        .isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    System.out.print(out);
    Result r = new Result(p.exitValue(), out, "");
    assertFullDiskOutcome(r, Warehouse.local(copy), id, mount.toUri().toString());
    assertThat(out).contains("No space left on device");
    assertThat(Files.readString(dir.resolve("local-small-disk-octet.log")))
        .as("the log file has the stack trace the console does not")
        .contains("FSError")
        .contains("\tat ");
  }
}
