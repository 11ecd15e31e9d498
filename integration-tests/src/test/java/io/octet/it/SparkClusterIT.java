package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.it.SparkCluster.ExecutorProcess;
import io.octet.it.SparkCluster.RunningApp;
import io.octet.it.SparkCluster.SubmitResult;
import io.octet.it.jobs.ParquetRoundTripJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A real standalone cluster (master, 2 workers, their executors and a spark-submit driver, all
 * separate JVMs) running a job that writes and reads Parquet on the real S3 server through S3A,
 * then the faults later tests inject: an executor killed mid-stage, a worker killed and restarted.
 * The tests share one cluster, so they run in order and the destructive ones last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkClusterIT {
  private static final String BUCKET = "octet-spark-it";
  private static final String JOB = ParquetRoundTripJob.class.getName();

  private static S3Server s3;
  private static SparkCluster cluster;

  @BeforeAll
  static void startServers() {
    long start = System.nanoTime();
    // build() finds the Spark distribution or fails, naming tools/it/setup-spark.sh: do it first.
    SparkCluster notStarted = SparkCluster.builder().workers(2).build();
    s3 = S3Server.create().start();
    s3.createBucket(BUCKET);
    cluster = notStarted.start();
    System.out.printf(
        "S3 server and Spark cluster up in %d ms: %s, %s%n",
        (System.nanoTime() - start) / 1_000_000, s3, cluster);
  }

  @AfterAll
  static void stopServers() {
    if (cluster != null) {
      cluster.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  @Order(1)
  void bothWorkersAreRegistered() {
    JsonNode state = cluster.masterState();
    assertThat(state.path("workers")).as("workers in %s", state).hasSize(2);
    assertThat(cluster.aliveWorkers()).isEqualTo(2);
  }

  @Test
  @Order(2)
  void jobRunsOnTwoExecutorsAndRoundTripsParquetOnS3a() {
    String output = "s3a://" + BUCKET + "/roundtrip/numbers";

    SubmitResult result =
        cluster.submit(
            ItPaths.itJobsJar(), JOB, List.of(output, "20000", "8", "300"), S3aConf.sparkConf(s3));

    assertThat(result.exitCode()).as(result.describe()).isZero();
    assertThat(result.linesStartingWith(ParquetRoundTripJob.PREFIX))
        .as(result.describe())
        .contains("rows=20000 distinct=20000 sum=599990000", "ok");
    assertThat(result.linesStartingWith(ParquetRoundTripJob.PREFIX + "executors-with-tasks="))
        .as("executors that finished tasks, seen by the driver")
        .containsExactly("[0, 1]");

    List<Path> executorDirs = cluster.executorDirs(result.appId());
    assertThat(executorDirs).as("executor work dirs of %s", result.appId()).hasSize(2);
    for (Path dir : executorDirs) {
      assertThat(read(dir.resolve("stderr")))
          .as("executor log %s", dir.resolve("stderr"))
          .contains("Finished task");
    }
    assertThat(completedAppState(result.appId())).isEqualTo("FINISHED");

    List<String> keys =
        s3
            .client()
            .listObjectsV2(b -> b.bucket(BUCKET).prefix("roundtrip/numbers/"))
            .contents()
            .stream()
            .map(o -> o.key())
            .toList();
    assertThat(keys).as("objects on the S3 server").contains("roundtrip/numbers/_SUCCESS");
    assertThat(keys.stream().filter(k -> k.endsWith(".parquet"))).hasSize(8);
  }

  @Test
  @Order(3)
  void jobCompletesWhenAnExecutorIsKilledMidStage() {
    String output = "s3a://" + BUCKET + "/fault/numbers";
    // 8 tasks of 2.5 s each on 2 one-core executors: the write stage runs for 10 s or more.
    RunningApp app =
        cluster.submitAsync(
            ItPaths.itJobsJar(), JOB, List.of(output, "8000", "8", "2500"), S3aConf.sparkConf(s3));
    String appId = app.awaitAppId(Duration.ofSeconds(90));

    ExecutorProcess victim = awaitExecutorRunningATask(app, appId);
    cluster.killExecutor(victim);
    assertThat(victim.process().isAlive()).isFalse();

    SubmitResult result = app.await(Duration.ofMinutes(4));
    assertThat(result.exitCode()).as(result.describe()).isZero();
    assertThat(result.linesStartingWith(ParquetRoundTripJob.PREFIX))
        .as(result.describe())
        .contains("rows=8000 distinct=8000 sum=95996000", "ok");
    assertThat(result.output())
        .as(
            "the driver saw executor %s of worker %d die",
            victim.executorId(), victim.workerIndex())
        .containsPattern("(?i)lost executor " + victim.executorId() + "\\b");
    assertThat(cluster.executorDirs(appId))
        .as("the master replaced the killed executor")
        .hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  @Order(4)
  void aKilledWorkerLeavesTheClusterAndARestartedOneRejoins() {
    cluster.killWorker(1);
    cluster.awaitAliveWorkers(1, Duration.ofSeconds(60));

    cluster.restartWorker(1);

    assertThat(cluster.aliveWorkers()).isEqualTo(2);
    JsonNode state = cluster.masterState();
    long dead = 0;
    for (JsonNode worker : state.path("workers")) {
      dead += "DEAD".equals(worker.path("state").asText()) ? 1 : 0;
    }
    assertThat(dead).as("the killed worker, as the master reports it").isEqualTo(1);
  }

  /** Waits until both executors of {@code appId} run, and returns one that has started a task. */
  private static ExecutorProcess awaitExecutorRunningATask(RunningApp app, String appId) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(app.isRunning()).as("spark-submit still running; log %s", app.logFile()).isTrue();
      List<ExecutorProcess> executors = cluster.executors(appId);
      if (executors.size() == 2) {
        for (ExecutorProcess executor : executors) {
          Path stderr =
              cluster.executorDirs(appId).stream()
                  .filter(d -> d.getFileName().toString().equals(executor.executorId()))
                  .map(d -> d.resolve("stderr"))
                  .findFirst()
                  .orElse(null);
          if (stderr != null && read(stderr).contains("Running task")) {
            return executor;
          }
        }
      }
      ItProcesses.sleep(200);
    }
    throw new AssertionError("No executor of " + appId + " started a task; see " + app.logFile());
  }

  private static String completedAppState(String appId) {
    for (JsonNode app : cluster.masterState().path("completedapps")) {
      if (appId.equals(app.path("id").asText())) {
        return app.path("state").asText();
      }
    }
    return "not among completed apps";
  }

  private static String read(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
