package io.octet.jobs.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.calib.CalibrationTable;
import io.octet.config.ModelConfig;
import io.octet.config.RegistryConfig;
import io.octet.error.QuantErrors;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.jobs.spark.SparkMemory;
import io.octet.memory.MemoryBudget;
import io.octet.memory.NativeMemoryPool;
import io.octet.memory.ProcessMemory;
import io.octet.storage.Uris;
import io.octet.util.Json;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run over the registry: every selected model through its stages, {@code run.parallel-models} at
 * a time (each model's stages are Spark jobs, so models share the cluster), then the run summary
 * and report under {@code <warehouse>/_runs/<run-id>/}.
 */
public final class RunPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(RunPipeline.class);

  private final SparkSession spark;
  private final RegistryConfig registry;
  private final HadoopObjectStore store;
  private final PrintStream out;

  /**
   * Creates a run.
   *
   * @param spark the session
   * @param registry the registry
   * @param store storage
   * @param out where progress and the final table go
   */
  public RunPipeline(
      SparkSession spark, RegistryConfig registry, HadoopObjectStore store, PrintStream out) {
    this.spark = spark;
    this.registry = registry;
    this.store = store;
    this.out = out;
  }

  /**
   * The run's outcome.
   *
   * @param runId the run id
   * @param models per-model outcomes
   * @param summaryUri where the summary JSON went
   * @param reportUri where the run report went
   */
  public record Result(
      String runId, List<ModelOutcome> models, String summaryUri, String reportUri) {
    /**
     * Whether every model passed or was skipped.
     *
     * @return true when all are ok
     */
    public boolean ok() {
      return models.stream().allMatch(ModelOutcome::ok);
    }
  }

  /**
   * Runs the selected models.
   *
   * @param runId the run id
   * @param selected model names (empty = all)
   * @param force re-run unchanged models
   * @return the result
   */
  public Result run(String runId, List<String> selected, boolean force) {
    Instant started = Instant.now();
    List<ModelConfig> models = select(selected);
    String warehouse = Uris.normalize(registry.warehouse());
    String runDir = Uris.join(warehouse, "_runs", runId);
    claim(runDir, runId, models);
    Progress progress = new Progress(out);
    out.printf(
        "[octet] run %s: %d model(s), warehouse %s%n",
        runId, models.size(), Uris.redact(warehouse));
    MemoryBudget budget =
        SparkMemory.budget(spark.sparkContext(), registry.run().memoryBudgetBytes());
    out.printf("[octet] memory budget: %s%n", budget.describe());
    ExecutorService pool =
        Executors.newFixedThreadPool(Math.min(models.size(), registry.run().parallelModels()));
    List<Future<ModelOutcome>> futures = new ArrayList<>();
    for (ModelConfig m : models) {
      futures.add(
          pool.submit(
              () -> {
                try {
                  StageContext ctx = new StageContext(spark, registry, m, runId, store);
                  return new ModelPipeline(ctx, progress).run(force || registry.run().force());
                } catch (RuntimeException | Error e) {
                  return ModelPipeline.crashed(m, e, progress);
                }
              }));
    }
    List<ModelOutcome> outcomes = new ArrayList<>();
    try {
      for (int i = 0; i < futures.size(); i++) {
        try {
          outcomes.add(futures.get(i).get());
        } catch (java.util.concurrent.ExecutionException e) {
          outcomes.add(ModelPipeline.crashed(models.get(i), e.getCause(), progress));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Run interrupted", e);
    } finally {
      pool.shutdownNow();
    }
    ObjectNode summary =
        SummaryJson.summary(runId, started, Instant.now(), registry.source(), warehouse, outcomes);
    summary.set("memory", memory(budget));
    String summaryUri = Uris.join(runDir, "summary.json");
    store.writeBytes(summaryUri, Json.bytes(summary));
    String reportUri = Uris.join(runDir, "report.html");
    try {
      writeReport(runId, warehouse, summary, outcomes, reportUri);
    } catch (RuntimeException | Error e) {
      // The summary is written; a report that cannot be rendered or stored must not hide it.
      LOG.info("Run report failed", e);
      out.printf("[octet] run report not written: %s%n", Failures.oneLine(Failures.describe(e)));
      reportUri = null;
    }
    try {
      store.delete(Uris.join(warehouse, "_staging", runId));
    } catch (RuntimeException | Error e) {
      // Everything is published and summarized; a leftover staging prefix is harmless.
      LOG.warn("Could not clean up the run's staging prefix: {}", e.toString());
    }
    SummaryTable.print(out, outcomes);
    SparkMemory.peakLine(spark.sparkContext(), budget).ifPresent(out::println);
    out.printf("[octet] summary: %s%n", Uris.redact(summaryUri));
    if (reportUri != null) {
      out.printf("[octet] report:  %s%n", Uris.redact(reportUri));
    }
    return new Result(runId, outcomes, summaryUri, reportUri);
  }

  /** The budget and, in local mode where the driver is the only executor, the peak it reached. */
  private ObjectNode memory(MemoryBudget budget) {
    ObjectNode m = Json.object();
    m.put("budget-bytes", budget.processBytes());
    m.put("budget-source", budget.source());
    m.put("heap-bytes", budget.heapBytes());
    m.put("jvm-overhead-bytes", budget.jvmOverheadBytes());
    m.put("task-slots", budget.taskSlots());
    m.put("budget", budget.describe());
    // In local mode the driver JVM is the executor: its peak is the run's. Executors' peaks are
    // in Spark's executor metrics (spark.executor.processTreeMetrics.enabled).
    m.put("scope", spark.sparkContext().isLocal() ? "local (driver = executor)" : "driver only");
    m.put("peak-rss-bytes", ProcessMemory.peakRssBytes());
    m.put("peak-batch-reservation-bytes", NativeMemoryPool.jvm().peak());
    return m;
  }

  private void writeReport(
      String runId,
      String warehouse,
      ObjectNode summary,
      List<ModelOutcome> outcomes,
      String reportUri) {
    Map<String, CalibrationTable> tables = new LinkedHashMap<>();
    for (ModelOutcome o : outcomes) {
      String cal = o.artifacts().get("calibration");
      if (cal != null) {
        tables.put(
            o.name(), CalibrationTable.fromJson(store.readBytes(Uris.join(warehouse, cal)), cal));
      }
    }
    Path local = Path.of(registry.run().scratchDir(), "octet-" + runId, "report.html");
    Reports.writeRunReport(summary, tables, local);
    store.upload(local, reportUri);
  }

  /**
   * Claims the run id before anything is written: {@code _runs/<run-id>/_claim.json}, created only
   * if absent (conditionally on S3). A run id that ran before (its claim or its summary is there)
   * fails here, so a published run is never touched again.
   */
  private void claim(String runDir, String runId, List<ModelConfig> models) {
    String summary = Uris.join(runDir, "summary.json");
    if (store.exists(summary)) {
      throw QuantErrors.runIdUsed(runId, Uris.redact(summary), "a run finished under it");
    }
    ObjectNode claim = Json.object();
    claim.put("format", io.octet.publish.Publisher.CLAIM_FORMAT);
    claim.put("run-id", runId);
    claim.put("claimed", Instant.now().toString());
    com.fasterxml.jackson.databind.node.ArrayNode names = claim.putArray("models");
    models.forEach(m -> names.add(m.name()));
    String uri = Uris.join(runDir, io.octet.publish.Publisher.CLAIM);
    if (!store.createIfAbsent(uri, Json.bytes(claim))) {
      throw QuantErrors.runIdUsed(runId, Uris.redact(uri), "another run claimed it");
    }
  }

  private List<ModelConfig> select(List<String> names) {
    if (names.isEmpty()) {
      return new ArrayList<>(registry.models().values());
    }
    Map<String, ModelConfig> out = new LinkedHashMap<>();
    for (String n : names) {
      ModelConfig m = registry.models().get(n);
      if (m == null) {
        throw QuantErrors.badConfig(
            registry.source(),
            "--models",
            "no model named '" + n + "' (registry has " + registry.models().keySet() + ")",
            null);
      }
      if (out.putIfAbsent(n, m) != null) {
        // Two copies of one model in one run would race on its staging and run prefix.
        this.out.printf("[octet] warning: --models names '%s' more than once; it runs once%n", n);
        LOG.warn("--models names '{}' more than once; it runs once", n);
      }
    }
    return new ArrayList<>(out.values());
  }
}
