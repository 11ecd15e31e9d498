package io.octet.jobs;

import io.octet.config.ConfigLoader;
import io.octet.config.ModelConfig;
import io.octet.config.RegistryConfig;
import io.octet.error.QuantException;
import io.octet.jobs.cli.Args;
import io.octet.jobs.demo.DemoData;
import io.octet.jobs.pipeline.Failures;
import io.octet.jobs.pipeline.RunPipeline;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.jobs.spark.SparkSessions;
import io.octet.publish.RunIds;
import io.octet.storage.Uris;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.slf4j.LoggerFactory;

/**
 * The one entry point: {@code bin/octet <command>} and {@code spark-submit --class
 * io.octet.jobs.Main octet-jobs.jar <command>}.
 *
 * <p>Exit codes: 0 every selected model passed or was skipped as unchanged; 1 a model failed or
 * missed its gate (with {@code run.fail-on-model-error}); 2 usage or config error; 3 internal
 * error.
 */
public final class Main {
  static final Map<String, Set<String>> VALUED =
      Map.ofEntries(
          Map.entry("run", Set.of("registry", "models", "run-id")),
          Map.entry("demo", Set.of("dir", "warehouse", "models")),
          Map.entry("calibrate", Set.of("registry", "model", "run-id")),
          Map.entry("quantize", Set.of("registry", "model", "run-id")),
          Map.entry("validate", Set.of("registry", "model", "run-id")),
          Map.entry("publish", Set.of("registry", "model", "run-id")),
          Map.entry(
              "quantize-one",
              Set.of("model", "calibration", "validation", "out", "method", "mode", "warehouse")),
          Map.entry("prepare-demo", Set.of("dir", "warehouse")),
          Map.entry("gc", Set.of("registry")),
          Map.entry("check-int8", Set.of("model", "target")),
          Map.entry("help", Set.of()));
  static final Map<String, Set<String>> FLAGS =
      Map.ofEntries(
          Map.entry("run", Set.of("force", "verbose")),
          Map.entry("demo", Set.of("force", "verbose")),
          Map.entry("quantize-one", Set.of("skip-validation", "verbose")),
          Map.entry("calibrate", Set.of("force", "verbose")),
          Map.entry("quantize", Set.of("force", "verbose")),
          Map.entry("validate", Set.of("force", "verbose")),
          Map.entry("publish", Set.of("force", "verbose")),
          Map.entry("gc", Set.of("dry-run", "verbose")),
          Map.entry("check-int8", Set.of("json", "verbose")),
          Map.entry("prepare-demo", Set.of("verbose")));

  private Main() {}

  /**
   * Runs a command and exits with its code.
   *
   * @param argv the command line
   */
  public static void main(String[] argv) {
    int code = run(argv, System.out, System.err);
    System.exit(code);
  }

  /**
   * Runs a command.
   *
   * @param argv the command line
   * @param out standard output
   * @param err standard error
   * @return the exit code
   */
  public static int run(String[] argv, PrintStream out, PrintStream err) {
    Args args;
    try {
      args = Args.parse(argv, VALUED, FLAGS);
    } catch (Args.UsageException e) {
      err.println("octet: " + e.getMessage());
      err.println(Usage.TEXT);
      return 2;
    }
    boolean verbose = args.switches().contains("verbose");
    if (verbose) {
      // Read by conf/log4j2.properties when logging starts (nothing has logged yet). Not named
      // octet.*: those system properties are config overrides (-Doctet.<key>=value).
      System.setProperty("octetlog.console-level", "info");
      System.setProperty("octetlog.console-traces", "true");
      System.setProperty("octetlog.spark-level", "warn");
    }
    try {
      return dispatch(args, out);
    } catch (Args.UsageException e) {
      err.println("octet: " + e.getMessage());
      return 2;
    } catch (RuntimeException | Error e) {
      QuantException q = Failures.userFacing(e);
      if (q != null) {
        err.println("octet: " + Failures.oneLine(q.getMessage()));
        LoggerFactory.getLogger(Main.class).info("Failed", e);
        return q.kind() == QuantException.Kind.BAD_CONFIG ? 2 : 1;
      }
      err.println("octet: internal error: " + Failures.describe(e));
      LoggerFactory.getLogger(Main.class).info("Internal error", e);
      if (verbose) {
        e.printStackTrace(err);
      } else {
        err.println("octet: the stack trace is in " + logFile() + " (or rerun with --verbose)");
      }
      return 3;
    }
  }

  /** Where bin/octet's log goes (conf/log4j2.properties). */
  static String logFile() {
    return System.getProperty(
        "octetlog.file", Path.of(System.getProperty("java.io.tmpdir"), "octet.log").toString());
  }

  private static int dispatch(Args a, PrintStream out) {
    switch (a.command()) {
      case "help" -> {
        out.println(Usage.TEXT);
        return 0;
      }
      case "run" -> {
        RegistryConfig reg = loadRegistry(a.require("registry"), a.sets());
        List<String> models = models(a.options().get("models"));
        String runId = a.options().getOrDefault("run-id", RunIds.next());
        return runPipeline(reg, models, runId, a.switches().contains("force"), out);
      }
      case "demo", "prepare-demo" -> {
        Path dir = Path.of(a.options().getOrDefault("dir", "octet-demo")).toAbsolutePath();
        Path warehouse =
            Path.of(a.options().getOrDefault("warehouse", "octet-warehouse")).toAbsolutePath();
        Path registry;
        SparkSession spark = SparkSessions.getOrCreate("octet-demo", Map.of(), Map.of());
        registry = DemoData.prepare(spark, dir, repoRoot(), warehouse, out);
        if (a.command().equals("prepare-demo")) {
          return 0;
        }
        RegistryConfig reg = loadRegistry(registry.toString(), a.sets());
        return runPipeline(
            reg,
            models(a.options().get("models")),
            RunIds.next(),
            a.switches().contains("force"),
            out);
      }
      case "calibrate", "quantize", "validate", "publish" -> {
        return Stages.run(a, loadRegistry(a.require("registry"), a.sets()), out);
      }
      case "quantize-one" -> {
        return QuantizeOne.run(a, out);
      }
      case "check-int8" -> {
        return CheckInt8.run(a, out);
      }
      case "gc" -> {
        return Gc.run(a, loadRegistry(a.require("registry"), a.sets()), out);
      }
      default -> throw new Args.UsageException("Unknown command " + a.command());
    }
  }

  static int runPipeline(
      RegistryConfig reg, List<String> models, String runId, boolean force, PrintStream out) {
    if (!RunIds.isValid(runId)) {
      throw new Args.UsageException(
          "--run-id '" + runId + "' is not a run id like 20261129T153000Z-3f9a1c.");
    }
    SparkSession spark =
        SparkSessions.getOrCreate(
            "octet-" + runId, reg.spark(), reg.hadoop(), reg.run().executorSessions());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), reg.hadoop());
    RunPipeline.Result r = new RunPipeline(spark, reg, store, out).run(runId, models, force);
    return r.ok() || !reg.run().failOnModelError() ? 0 : 1;
  }

  /**
   * Loads a registry from a local file or any Hadoop URI.
   *
   * @param location the file or URI
   * @param sets overrides
   * @return the registry
   */
  static RegistryConfig loadRegistry(String location, List<String> sets) {
    String text;
    if (Uris.hasScheme(location) && !location.startsWith("file:")) {
      // Registries on s3a:// are read with the Hadoop settings a bootstrap pass of the overrides
      // gives (credentials come from the environment or instance roles, never the command line).
      HadoopObjectStore store =
          new HadoopObjectStore(HadoopObjectStore.fromSparkConf(Map.of()), Map.of());
      try {
        text = new String(store.readBytes(location), StandardCharsets.UTF_8);
      } catch (QuantException e) {
        // Like an unreadable local file: a usage error (exit 2), before any work.
        throw new Args.UsageException("Cannot read registry: " + e.getMessage());
      }
    } else {
      Path p =
          Uris.hasScheme(location) ? Path.of(java.net.URI.create(location)) : Path.of(location);
      try {
        text = Files.readString(p);
      } catch (java.io.IOException e) {
        throw new Args.UsageException("Cannot read registry '" + location + "': " + e.getMessage());
      }
    }
    return ConfigLoader.load(text, location, sets);
  }

  static List<String> models(String csv) {
    return csv == null || csv.isBlank()
        ? List.of()
        : Arrays.stream(csv.split(",")).map(String::trim).toList();
  }

  static ModelConfig model(RegistryConfig reg, String name) {
    ModelConfig m = reg.models().get(name);
    if (m == null) {
      throw new Args.UsageException(
          "No model '" + name + "' in the registry (it has " + reg.models().keySet() + ").");
    }
    return m;
  }

  /** The repository root: where models/digits-cnn lives (the working directory or above). */
  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    String env = System.getenv("OCTET_HOME");
    if (env != null) {
      return Path.of(env);
    }
    while (p != null && !Files.isDirectory(p.resolve("models/digits-cnn"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new Args.UsageException(
          "Run the demo from the Octet checkout (models/digits-cnn not found), or set OCTET_HOME.");
    }
    return p;
  }
}
