package io.octet.it;

import io.octet.it.SparkCluster.RunningApp;
import io.octet.it.SparkCluster.SubmitResult;
import io.octet.publish.RunIds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Submits Octet's shaded jar to a {@link SparkCluster} the way an ops team does:
 *
 * <pre>
 * spark-submit --master spark://... --properties-file octet.conf \
 *   --class io.octet.jobs.Main octet-jobs-&lt;version&gt;-shaded.jar \
 *   run --registry s3a://bucket/registry.conf --run-id ... --set ...
 * </pre>
 *
 * <p>with {@code spark.jars} naming the S3A jars Octet's build collects ({@code
 * jobs/target/s3a-jars}) and S3A pointed at the {@link S3Server}. Credentials go one of the two
 * ways users pass them: {@link Credentials#ENVIRONMENT} exports {@code AWS_ACCESS_KEY_ID} and
 * {@code AWS_SECRET_ACCESS_KEY} to spark-submit (the driver) and expects the cluster's workers to
 * have them too (they pass their environment to executors; see {@link #workerEnvironment}), with
 * the SDK's {@code EnvironmentVariableCredentialsProvider}; {@link Credentials#SPARK_CONF} puts
 * {@code spark.hadoop.fs.s3a.access.key}/{@code secret.key} in the properties file.
 */
final class OctetRuns {
  /** How credentials reach the driver and executors. */
  enum Credentials {
    ENVIRONMENT,
    SPARK_CONF
  }

  static final String MAIN = "io.octet.jobs.Main";
  static final String ENV_PROVIDER =
      "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider";

  private final SparkCluster cluster;
  private final S3Server s3;
  private final Credentials credentials;
  private final Path scratch;

  OctetRuns(SparkCluster cluster, S3Server s3, Credentials credentials) {
    this.cluster = cluster;
    this.s3 = s3;
    this.credentials = credentials;
    this.scratch = cluster.runDir().resolve("octet-scratch");
  }

  /** The environment the cluster's workers need for {@link Credentials#ENVIRONMENT}. */
  static Map<String, String> workerEnvironment(S3Server s3) {
    return Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey());
  }

  /** Octet's local scratch directory for every run (scanned for secrets with the logs). */
  Path scratch() {
    return scratch;
  }

  /** The spark-submit settings of every Octet run. */
  Map<String, String> conf() {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put(
        "spark.jars",
        ItPaths.octetS3aJars().stream().map(Path::toString).collect(Collectors.joining(",")));
    // The driver parses FP32 models (MiniLM is 90 MB of protobuf) and times FP32 against INT8.
    conf.put("spark.driver.memory", "2g");
    for (Map.Entry<String, String> e : S3aConf.hadoop(s3).entrySet()) {
      String key = e.getKey();
      boolean credential =
          key.equals("fs.s3a.access.key")
              || key.equals("fs.s3a.secret.key")
              || key.equals("fs.s3a.aws.credentials.provider");
      if (!credential || credentials == Credentials.SPARK_CONF) {
        conf.put("spark.hadoop." + key, e.getValue());
      }
    }
    if (credentials == Credentials.ENVIRONMENT) {
      conf.put("spark.hadoop.fs.s3a.aws.credentials.provider", ENV_PROVIDER);
    }
    return conf;
  }

  /** The driver's environment: the credentials for {@link Credentials#ENVIRONMENT}. */
  Map<String, String> driverEnvironment() {
    return credentials == Credentials.ENVIRONMENT ? workerEnvironment(s3) : Map.of();
  }

  /** Returns a fresh run id. */
  static String runId() {
    return RunIds.next();
  }

  /**
   * Starts {@code octet run}.
   *
   * @param registry the registry URI
   * @param runId the run id
   * @param extraConf settings on top of {@link #conf()}
   * @param args more arguments ({@code --force}, {@code --models}, {@code --set k=v})
   * @return the running application
   */
  RunningApp start(
      String registry, String runId, Map<String, String> extraConf, List<String> args) {
    try {
      Files.createDirectories(scratch);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Map<String, String> conf = conf();
    conf.putAll(extraConf);
    List<String> argv = new ArrayList<>(List.of("run", "--registry", registry));
    if (runId != null) {
      argv.addAll(List.of("--run-id", runId));
    }
    argv.addAll(List.of("--set", "run.scratch-dir=" + scratch));
    argv.addAll(args);
    return cluster.submitAsync(ItPaths.octetJar(), MAIN, argv, conf, driverEnvironment());
  }

  /** Runs {@code octet run} to the end (at most {@code timeout}). */
  SubmitResult run(String registry, String runId, List<String> args, Duration timeout) {
    return start(registry, runId, Map.of(), args).await(timeout);
  }

  /**
   * Returns the length in bytes of a process's command line ({@code /proc/<pid>/cmdline}): ONNX
   * Runtime 1.29's native initialisation crashes the JVM when it passes about 4 KB.
   */
  static int commandLineBytes(ProcessHandle process) {
    try {
      return Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline")).length;
    } catch (IOException e) {
      return -1; // exited meanwhile
    }
  }
}
