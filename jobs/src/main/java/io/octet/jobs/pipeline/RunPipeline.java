package io.octet.jobs.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.calib.CalibrationTable;
import io.octet.config.ModelConfig;
import io.octet.config.RegistryConfig;
import io.octet.jobs.spark.HadoopObjectStore;
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

/**
 * A run over the registry: every selected model through its stages, {@code run.parallel-models} at
 * a time (each model's stages are Spark jobs, so models share the cluster), then the run summary
 * and report under {@code <warehouse>/_runs/<run-id>/}.
 */
public final class RunPipeline {
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
    Progress progress = new Progress(out);
    out.printf(
        "[octet] run %s: %d model(s), warehouse %s%n",
        runId, models.size(), Uris.redact(Uris.normalize(registry.warehouse())));
    ExecutorService pool =
        Executors.newFixedThreadPool(Math.min(models.size(), registry.run().parallelModels()));
    List<Future<ModelOutcome>> futures = new ArrayList<>();
    for (ModelConfig m : models) {
      futures.add(
          pool.submit(
              () -> {
                StageContext ctx = new StageContext(spark, registry, m, runId, store);
                return new ModelPipeline(ctx, progress).run(force || registry.run().force());
              }));
    }
    List<ModelOutcome> outcomes = new ArrayList<>();
    try {
      for (Future<ModelOutcome> f : futures) {
        outcomes.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Run interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("A model pipeline crashed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    String warehouse = Uris.normalize(registry.warehouse());
    ObjectNode summary =
        SummaryJson.summary(runId, started, Instant.now(), registry.source(), warehouse, outcomes);
    String runDir = Uris.join(warehouse, "_runs", runId);
    String summaryUri = Uris.join(runDir, "summary.json");
    store.writeBytes(summaryUri, Json.bytes(summary));
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
    String reportUri = Uris.join(runDir, "report.html");
    store.upload(local, reportUri);
    try {
      store.delete(Uris.join(warehouse, "_staging", runId));
    } catch (RuntimeException e) {
      // Everything is published and summarized; a leftover staging prefix is harmless.
      org.slf4j.LoggerFactory.getLogger(RunPipeline.class)
          .warn("Could not clean up the run's staging prefix: {}", e.getMessage());
    }
    SummaryTable.print(out, outcomes);
    out.printf(
        "[octet] summary: %s%n[octet] report:  %s%n",
        Uris.redact(summaryUri), Uris.redact(reportUri));
    return new Result(runId, outcomes, summaryUri, reportUri);
  }

  private List<ModelConfig> select(List<String> names) {
    if (names.isEmpty()) {
      return new ArrayList<>(registry.models().values());
    }
    List<ModelConfig> out = new ArrayList<>();
    for (String n : names) {
      ModelConfig m = registry.models().get(n);
      if (m == null) {
        throw io.octet.error.QuantErrors.badConfig(
            registry.source(),
            "--models",
            "no model named '" + n + "' (registry has " + registry.models().keySet() + ")",
            null);
      }
      out.add(m);
    }
    return out;
  }
}
