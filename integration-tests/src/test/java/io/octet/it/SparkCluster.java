package io.octet.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real standalone Spark cluster on loopback for integration tests: one master and N workers, each
 * its own JVM started through {@code bin/spark-class} of the Spark distribution that {@code
 * tools/it/setup-spark.sh} installs (the {@code pyspark} wheel). Executors are JVMs the workers
 * fork; jobs are submitted with {@code bin/spark-submit} in client mode, so the driver is a fourth
 * kind of JVM.
 *
 * <pre>{@code
 * try (SparkCluster cluster = SparkCluster.builder().workers(2).build().start()) {
 *   SubmitResult r = cluster.submit(jar, "io.octet.jobs.Main", List.of("run", ...), conf);
 *   assertThat(r.exitCode()).as(r.describe()).isZero();
 * }
 * }</pre>
 *
 * <p>Everything lives under a fresh {@code target/it-spark/cluster-*} directory: {@code
 * master.log}, {@code worker-<i>/worker.log}, each worker's work dir {@code
 * worker-<i>/work/<app-id>/<executor-id>/{stdout,stderr}} (executor logs; the jars it fetched), and
 * {@code submit-<n>-<class>.log} per submission.
 *
 * <p>Faults: {@link #executors()} lists the live executor JVMs (children of the worker JVMs whose
 * command line runs {@code CoarseGrainedExecutorBackend}; from a shell, {@code jps -lm | grep
 * CoarseGrainedExecutorBackend} shows the same, with {@code --executor-id} and {@code --app-id});
 * {@link #killExecutor} SIGKILLs one, after which the master starts a replacement on the same
 * worker. {@link #killWorker} and {@link #restartWorker} take a whole worker down and back.
 */
public final class SparkCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern APP_ID = Pattern.compile("app-\\d{14}-\\d{4,}");
  private static final String EXECUTOR_MAIN =
      "org.apache.spark.executor.CoarseGrainedExecutorBackend";

  /**
   * JVM options for every Spark JVM of the harness. Test JVMs live for seconds on a 2-core machine:
   * C1 alone and the serial collector cut their start-up CPU (and so wall time) by a third or more;
   * neither changes what the JVM computes.
   */
  public static final String TEST_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

  private final Path sparkHome;
  private final Path runDir;
  private final int workerCount;
  private final int coresPerWorker;
  private final String memoryPerWorker;
  private final Duration startTimeout;
  private final Map<String, String> daemonEnvironment;
  private final int masterPort;
  private final int masterWebUiPort;
  private final AtomicInteger submissions = new AtomicInteger();
  private final List<Worker> workers = new ArrayList<>();
  private final List<RunningApp> apps = new ArrayList<>();
  private Process master;

  private SparkCluster(Builder builder) {
    this.sparkHome = builder.sparkHome != null ? builder.sparkHome : ItPaths.sparkHome();
    this.runDir = ItPaths.newRunDir("it-spark", "cluster");
    this.workerCount = builder.workers;
    this.coresPerWorker = builder.coresPerWorker;
    this.memoryPerWorker = builder.memoryPerWorker;
    this.startTimeout = builder.startTimeout;
    this.daemonEnvironment = Map.copyOf(builder.environment);
    this.masterPort = ItProcesses.freePort();
    this.masterWebUiPort = ItProcesses.freePort();
    for (int i = 0; i < workerCount; i++) {
      workers.add(new Worker(i, runDir.resolve("worker-" + i)));
    }
  }

  /** Returns a builder: by default 2 workers with 1 core and 1536 MB each. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the master and every worker and waits until all workers are registered.
   *
   * @return this cluster
   * @throws IllegalStateException if a daemon dies or does not register in time, with its log
   */
  public synchronized SparkCluster start() {
    try {
      Files.createDirectories(runDir.resolve("conf"));
      Files.createDirectories(runDir.resolve("local"));
      master =
          ItProcesses.start(
              List.of(
                  sparkHome.resolve("bin/spark-class").toString(),
                  "org.apache.spark.deploy.master.Master",
                  "--host",
                  ItProcesses.LOOPBACK,
                  "--port",
                  Integer.toString(masterPort),
                  "--webui-port",
                  Integer.toString(masterWebUiPort)),
              environment(),
              runDir,
              masterLog());
      ItProcesses.awaitHttp(masterJsonUri(), startTimeout, master, masterLog());
      for (Worker worker : workers) {
        startWorker(worker);
      }
      awaitAliveWorkers(workerCount, startTimeout);
      return this;
    } catch (IOException e) {
      stop();
      throw new UncheckedIOException("Cannot prepare " + runDir, e);
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
  }

  /** Returns the master URL, {@code spark://127.0.0.1:<port>}. */
  public String masterUrl() {
    return "spark://" + ItProcesses.LOOPBACK + ":" + masterPort;
  }

  /** Returns the master's web UI, whose {@code /json/} is the cluster state. */
  public URI masterWebUi() {
    return URI.create("http://" + ItProcesses.LOOPBACK + ":" + masterWebUiPort + "/");
  }

  /** Returns the Spark distribution the cluster runs. */
  public Path sparkHome() {
    return sparkHome;
  }

  /** Returns the directory holding the logs and work dirs of this cluster. */
  public Path runDir() {
    return runDir;
  }

  /** Returns the master's log file. */
  public Path masterLog() {
    return runDir.resolve("master.log");
  }

  /** Returns the number of workers the cluster was built with. */
  public int workerCount() {
    return workerCount;
  }

  /**
   * Returns the master's state from {@code /json/}: {@code workers[]} (with {@code state}), {@code
   * activeapps[]}, {@code completedapps[]} and more.
   */
  public JsonNode masterState() {
    HttpURLConnection connection = null;
    try {
      connection = (HttpURLConnection) masterJsonUri().toURL().openConnection();
      connection.setConnectTimeout(2000);
      connection.setReadTimeout(5000);
      try (InputStream in = connection.getInputStream()) {
        return JSON.readTree(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the master state at " + masterJsonUri(), e);
    } finally {
      if (connection != null) {
        connection.disconnect();
      }
    }
  }

  /** Returns how many workers the master sees as {@code ALIVE}. */
  public int aliveWorkers() {
    int alive = 0;
    for (JsonNode worker : masterState().path("workers")) {
      if ("ALIVE".equals(worker.path("state").asText())) {
        alive++;
      }
    }
    return alive;
  }

  /** Waits until the master sees exactly {@code count} alive workers. */
  public void awaitAliveWorkers(int count, Duration timeout) {
    ItProcesses.awaitCondition(
        () -> aliveWorkers() == count,
        timeout,
        master,
        masterLog(),
        count + " alive workers at " + masterJsonUri());
  }

  /**
   * Submits an application and waits for it to finish (at most 5 minutes).
   *
   * @param jar the application jar
   * @param mainClass its main class
   * @param args the application's arguments
   * @param conf {@code spark.*} settings, passed as {@code --conf}; they override the harness
   *     defaults ({@link #defaultConf()}). Use {@link S3aConf#sparkConf(S3Server)} for {@code
   *     s3a://}
   * @return the exit code and the captured driver output
   */
  public SubmitResult submit(
      Path jar, String mainClass, List<String> args, Map<String, String> conf) {
    return submitAsync(jar, mainClass, args, conf).await(Duration.ofMinutes(5));
  }

  /** Like {@link #submit} but returns at once; the caller awaits the {@link RunningApp}. */
  public RunningApp submitAsync(
      Path jar, String mainClass, List<String> args, Map<String, String> conf) {
    return submitAsync(jar, mainClass, args, conf, Map.of());
  }

  /**
   * Like {@link #submitAsync(Path, String, List, Map)}, with extra environment variables for {@code
   * spark-submit} and so for the driver JVM (for example {@code AWS_ACCESS_KEY_ID} and {@code
   * AWS_SECRET_ACCESS_KEY}, the way a user exports credentials before submitting). They never
   * appear in the logged command or the properties file.
   */
  public synchronized RunningApp submitAsync(
      Path jar,
      String mainClass,
      List<String> args,
      Map<String, String> conf,
      Map<String, String> driverEnvironment) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("No application jar at " + jar);
    }
    Map<String, String> merged = new LinkedHashMap<>(defaultConf());
    merged.putAll(conf);
    int number = submissions.incrementAndGet();
    String simpleName = mainClass.substring(mainClass.lastIndexOf('.') + 1);
    Path log = runDir.resolve("submit-" + number + "-" + simpleName + ".log");
    // A properties file rather than --conf: keys stay out of `ps` and out of the logged command.
    Path properties = runDir.resolve("submit-" + number + "-" + simpleName + ".conf");
    writeProperties(properties, merged);

    List<String> command = new ArrayList<>();
    command.add(sparkHome.resolve("bin/spark-submit").toString());
    command.addAll(List.of("--master", masterUrl(), "--deploy-mode", "client"));
    command.addAll(List.of("--properties-file", properties.toString()));
    command.addAll(List.of("--class", mainClass));
    command.add(jar.toAbsolutePath().toString());
    command.addAll(args);
    Map<String, String> env = environment();
    env.putAll(driverEnvironment);
    Process process = ItProcesses.start(command, env, runDir, log);
    RunningApp app = new RunningApp(process, log, System.nanoTime());
    apps.add(app);
    return app;
  }

  /**
   * Returns the settings every submission gets unless its {@code conf} overrides them: loopback
   * driver, 1 GB driver and executors with 1 core, {@link #TEST_JVM_OPTIONS}, UI off, and a
   * scheduler that waits for every worker's executor (so a job runs on all of them).
   */
  public Map<String, String> defaultConf() {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.driver.host", ItProcesses.LOOPBACK);
    conf.put("spark.driver.bindAddress", ItProcesses.LOOPBACK);
    conf.put("spark.driver.memory", "1g");
    conf.put("spark.executor.memory", "1g");
    conf.put("spark.executor.cores", Integer.toString(coresPerWorker));
    conf.put("spark.driver.extraJavaOptions", TEST_JVM_OPTIONS);
    conf.put("spark.executor.extraJavaOptions", TEST_JVM_OPTIONS);
    conf.put("spark.ui.enabled", "false");
    conf.put("spark.sql.shuffle.partitions", "4");
    conf.put("spark.scheduler.minRegisteredResourcesRatio", "1.0");
    conf.put("spark.scheduler.maxRegisteredResourcesWaitingTime", "60s");
    return conf;
  }

  /** Returns the live executor JVMs of all applications, in worker order. */
  public List<ExecutorProcess> executors() {
    List<ExecutorProcess> result = new ArrayList<>();
    for (Worker worker : workers) {
      Process process = worker.process;
      if (process == null || !process.isAlive()) {
        continue;
      }
      process
          .descendants()
          .filter(ProcessHandle::isAlive)
          .forEach(
              handle -> {
                List<String> argv =
                    handle.info().arguments().map(List::of).orElse(List.<String>of());
                if (argv.contains(EXECUTOR_MAIN)) {
                  result.add(
                      new ExecutorProcess(
                          worker.index,
                          argAfter(argv, "--app-id"),
                          argAfter(argv, "--executor-id"),
                          handle));
                }
              });
    }
    return result;
  }

  /** Returns the live executors of one application. */
  public List<ExecutorProcess> executors(String appId) {
    return executors().stream().filter(e -> e.appId().equals(appId)).collect(Collectors.toList());
  }

  /** Kills one executor JVM with SIGKILL, as a crash or an OOM killer would. */
  public void killExecutor(ExecutorProcess executor) {
    ItProcesses.kill(executor.process());
  }

  /** Kills worker {@code index} and its executors with SIGKILL. */
  public synchronized void killWorker(int index) {
    Worker worker = workers.get(index);
    if (worker.process != null) {
      ItProcesses.kill(worker.process);
      worker.process = null;
    }
  }

  /** Kills worker {@code index} if it runs, starts it again and waits until it is registered. */
  public synchronized void restartWorker(int index) {
    killWorker(index);
    // The master drops the dead worker when its connection closes; wait for that first, so the
    // count below means the new worker registered.
    long live = workers.stream().filter(w -> w.process != null).count();
    awaitAliveWorkers((int) live, startTimeout);
    startWorker(workers.get(index));
    awaitAliveWorkers((int) live + 1, startTimeout);
  }

  /**
   * Returns the executor directories of an application across all workers, {@code
   * worker-<i>/work/<appId>/<executorId>/} with the executor's {@code stdout} and {@code stderr}.
   */
  public List<Path> executorDirs(String appId) {
    List<Path> dirs = new ArrayList<>();
    for (Worker worker : workers) {
      Path appDir = worker.workDir().resolve(appId);
      if (!Files.isDirectory(appDir)) {
        continue;
      }
      try (Stream<Path> children = Files.list(appDir)) {
        children.filter(Files::isDirectory).sorted().forEach(dirs::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dirs;
  }

  /** Returns worker {@code index}'s log file. */
  public Path workerLog(int index) {
    return workers.get(index).log();
  }

  /** Kills every submission, worker and the master (executors go with their workers). */
  public synchronized void stop() {
    for (RunningApp app : apps) {
      if (app.process.isAlive()) {
        ItProcesses.kill(app.process);
      }
    }
    for (int i = 0; i < workers.size(); i++) {
      killWorker(i);
    }
    if (master != null) {
      ItProcesses.kill(master);
      master = null;
    }
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return "SparkCluster[" + masterUrl() + ", " + workerCount + " workers, " + runDir + "]";
  }

  private void startWorker(Worker worker) {
    try {
      Files.createDirectories(worker.workDir());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    worker.process =
        ItProcesses.start(
            List.of(
                sparkHome.resolve("bin/spark-class").toString(),
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                ItProcesses.LOOPBACK,
                "--webui-port",
                Integer.toString(ItProcesses.freePort()),
                "--cores",
                Integer.toString(coresPerWorker),
                "--memory",
                memoryPerWorker,
                "--work-dir",
                worker.workDir().toString(),
                masterUrl()),
            environment(),
            worker.dir,
            worker.log());
  }

  /**
   * The environment of every Spark process: this JVM's Java, loopback only, our own (empty) conf
   * dir, and no SPARK_, PYSPARK_ or Hadoop settings leaking in from the caller's shell.
   */
  private Map<String, String> environment() {
    Map<String, String> env = new HashMap<>();
    for (String key : System.getenv().keySet()) {
      String upper = key.toUpperCase(Locale.ROOT);
      if (upper.startsWith("SPARK_")
          || upper.startsWith("PYSPARK_")
          || upper.equals("HADOOP_CONF_DIR")
          || upper.equals("YARN_CONF_DIR")
          || upper.equals("_JAVA_OPTIONS")
          || upper.equals("JAVA_TOOL_OPTIONS")) {
        env.put(key, null);
      }
    }
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("SPARK_LOCAL_IP", ItProcesses.LOOPBACK);
    env.put("SPARK_CONF_DIR", runDir.resolve("conf").toString());
    env.put("SPARK_LOCAL_DIRS", runDir.resolve("local").toString());
    env.put("SPARK_LOG_DIR", runDir.resolve("logs").toString());
    env.put("SPARK_PID_DIR", runDir.resolve("pids").toString());
    env.put("SPARK_DAEMON_MEMORY", "512m");
    env.put("SPARK_DAEMON_JAVA_OPTS", TEST_JVM_OPTIONS);
    // Workers pass their environment on to the executors they fork.
    env.putAll(daemonEnvironment);
    return env;
  }

  private static void writeProperties(Path file, Map<String, String> conf) {
    Properties properties = new Properties();
    properties.putAll(conf);
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      properties.store(out, "spark-submit --properties-file, written by SparkCluster");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  private URI masterJsonUri() {
    return masterWebUi().resolve("/json/");
  }

  private static String argAfter(List<String> argv, String flag) {
    int i = argv.indexOf(flag);
    return i >= 0 && i + 1 < argv.size() ? argv.get(i + 1) : "?";
  }

  /** Configures a {@link SparkCluster}. */
  public static final class Builder {
    private int workers = 2;
    private int coresPerWorker = 1;
    private String memoryPerWorker = "1536m";
    private Duration startTimeout = Duration.ofSeconds(120);
    private Path sparkHome;
    private final Map<String, String> environment = new LinkedHashMap<>();

    private Builder() {}

    /** Sets the number of workers (default 2). */
    public Builder workers(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("Workers must be at least 1, got: " + count);
      }
      this.workers = count;
      return this;
    }

    /** Sets each worker's cores (default 1), which is also each executor's. */
    public Builder coresPerWorker(int cores) {
      if (cores < 1) {
        throw new IllegalArgumentException("Cores per worker must be at least 1, got: " + cores);
      }
      this.coresPerWorker = cores;
      return this;
    }

    /** Sets each worker's memory for executors, e.g. {@code "1536m"} (default). */
    public Builder memoryPerWorker(String memory) {
      this.memoryPerWorker = memory;
      return this;
    }

    /** Sets how long daemons may take to start and register (default 120 s). */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = timeout;
      return this;
    }

    /** Uses this Spark distribution instead of the one {@link ItPaths#sparkHome()} finds. */
    public Builder sparkHome(Path home) {
      this.sparkHome = home;
      return this;
    }

    /**
     * Adds environment variables to the master and the workers, which pass them on to every
     * executor they fork: how a node's environment (for example {@code AWS_ACCESS_KEY_ID}) reaches
     * executors on a standalone cluster.
     */
    public Builder environment(Map<String, String> variables) {
      this.environment.putAll(variables);
      return this;
    }

    /** Returns the cluster, not yet started; resolves the Spark distribution (or fails). */
    public SparkCluster build() {
      return new SparkCluster(this);
    }
  }

  /** One executor JVM: the worker that forked it, its application and executor ids, its process. */
  public record ExecutorProcess(
      int workerIndex, String appId, String executorId, ProcessHandle process) {
    /** Returns the executor JVM's process id. */
    public long pid() {
      return process.pid();
    }
  }

  private static final class Worker {
    private final int index;
    private final Path dir;
    private Process process;

    private Worker(int index, Path dir) {
      this.index = index;
      this.dir = dir;
    }

    private Path workDir() {
      return dir.resolve("work");
    }

    private Path log() {
      return dir.resolve("worker.log");
    }
  }

  /** A submission in flight: its spark-submit process and driver log. */
  public static final class RunningApp {
    private final Process process;
    private final Path logFile;
    private final long startNanos;

    private RunningApp(Process process, Path logFile, long startNanos) {
      this.process = process;
      this.logFile = logFile;
      this.startNanos = startNanos;
    }

    /** Returns the driver's log (spark-submit's stdout and stderr). */
    public Path logFile() {
      return logFile;
    }

    /** Returns whether spark-submit still runs. */
    public boolean isRunning() {
      return process.isAlive();
    }

    /**
     * Returns the driver JVM. In client mode {@code bin/spark-submit} execs {@code java} in the
     * same process, so this is the process the harness started.
     */
    public ProcessHandle driver() {
      return process.toHandle();
    }

    /** Kills the driver (SIGKILL, like a crash of the machine that submitted the job). */
    public void kill() {
      ItProcesses.kill(process);
    }

    /** Returns the application id once the driver has registered with the master. */
    public Optional<String> appId() {
      return findAppId(read(logFile));
    }

    /** Waits until the driver has registered and returns the application id. */
    public String awaitAppId(Duration timeout) {
      ItProcesses.awaitCondition(
          () -> appId().isPresent(), timeout, process, logFile, "the application id");
      return appId().orElseThrow();
    }

    /**
     * Waits for spark-submit to exit; kills it after {@code timeout}.
     *
     * @return the exit code and driver output; exit code -1 when it was killed on timeout
     */
    public SubmitResult await(Duration timeout) {
      boolean exited;
      try {
        exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ItProcesses.kill(process);
        throw new IllegalStateException("Interrupted waiting for " + logFile, e);
      }
      if (!exited) {
        ItProcesses.kill(process);
      }
      String output = read(logFile);
      return new SubmitResult(
          exited ? process.exitValue() : -1,
          logFile,
          output,
          findAppId(output).orElse(null),
          Duration.ofNanos(System.nanoTime() - startNanos));
    }
  }

  /**
   * The outcome of one spark-submit.
   *
   * @param exitCode the process exit code, or -1 when the harness killed it on timeout
   * @param logFile the captured stdout and stderr
   * @param output the content of {@code logFile}
   * @param appId the application id from the driver log, or {@code null} if it never registered
   * @param elapsed wall time from submission to exit
   */
  public record SubmitResult(
      int exitCode, Path logFile, String output, String appId, Duration elapsed) {
    /** Returns whether spark-submit exited with 0. */
    public boolean succeeded() {
      return exitCode == 0;
    }

    /** Returns the output lines that start with {@code prefix}, prefix removed. */
    public List<String> linesStartingWith(String prefix) {
      return output
          .lines()
          .filter(line -> line.startsWith(prefix))
          .map(line -> line.substring(prefix.length()))
          .collect(Collectors.toList());
    }

    /** Returns a one-paragraph summary with the end of the log, for assertion messages. */
    public String describe() {
      return "spark-submit exited "
          + exitCode
          + " after "
          + elapsed.toSeconds()
          + " s; end of "
          + logFile
          + ":\n"
          + ItProcesses.tail(logFile, 60);
    }
  }

  private static Optional<String> findAppId(String output) {
    Matcher matcher = APP_ID.matcher(output);
    return matcher.find() ? Optional.of(matcher.group()) : Optional.empty();
  }

  private static String read(Path file) {
    try {
      return Files.isRegularFile(file)
          ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
          : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
