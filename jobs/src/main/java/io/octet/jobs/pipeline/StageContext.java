package io.octet.jobs.pipeline;

import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.config.InputBinding;
import io.octet.config.ModelConfig;
import io.octet.config.RegistryConfig;
import io.octet.jobs.data.Bindings;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.jobs.spark.SparkMemory;
import io.octet.memory.MemoryBudget;
import io.octet.onnx.ExternalData;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.storage.Uris;
import io.octet.util.Hashing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * Everything a stage needs about one model in one run: config, storage, the run's staging prefix
 * ({@code <warehouse>/_staging/<run-id>/<model>/}) where stages hand artifacts to each other, and a
 * local scratch directory. The FP32 model is downloaded once, lazily.
 */
public final class StageContext {
  private final SparkSession spark;
  private final RegistryConfig registry;
  private final ModelConfig requested;
  private volatile ModelConfig model;
  private final String runId;
  private final HadoopObjectStore store;
  private final String warehouse;
  private final Path scratch;
  private OnnxModel fp32;
  private String fp32Sha;
  private long fp32Bytes;
  private List<String> fp32DataFiles;
  private List<InputBinding> bindings;
  private final List<String> warnings = new ArrayList<>();
  private int warningsShown;

  /**
   * Creates a context.
   *
   * @param spark the session
   * @param registry the registry
   * @param model the model
   * @param runId the run id
   * @param store storage
   */
  public StageContext(
      SparkSession spark,
      RegistryConfig registry,
      ModelConfig model,
      String runId,
      HadoopObjectStore store) {
    this.spark = spark;
    this.registry = registry;
    this.requested = model;
    this.model = model;
    this.runId = runId;
    this.store = store;
    this.warehouse = Uris.normalize(registry.warehouse());
    try {
      this.scratch =
          Files.createDirectories(
              Path.of(registry.run().scratchDir(), "octet-" + runId, model.name()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Records a warning about this model's run (shown on the console as one line, logged, and kept
   * for the run summary).
   *
   * @param message what looks wrong and what to do about it
   */
  public synchronized void warn(String message) {
    warnings.add(message);
    org.slf4j.LoggerFactory.getLogger(StageContext.class)
        .info("Model {}: {}", model.name(), message);
  }

  /**
   * Returns every warning so far.
   *
   * @return the warnings, oldest first
   */
  public synchronized List<String> warnings() {
    return List.copyOf(warnings);
  }

  /**
   * Returns the warnings not returned by an earlier call, for the console.
   *
   * @return the new warnings
   */
  public synchronized List<String> newWarnings() {
    List<String> out = List.copyOf(warnings.subList(warningsShown, warnings.size()));
    warningsShown = warnings.size();
    return out;
  }

  public SparkSession spark() {
    return spark;
  }

  public RegistryConfig registry() {
    return registry;
  }

  /**
   * The model as the stages see it: in auto mode, once a recipe is chosen, with that recipe's
   * quantization options.
   *
   * @return the model's config
   */
  public ModelConfig model() {
    return model;
  }

  /**
   * The model as the registry gave it (mode auto stays auto): what fingerprints, config hashes and
   * manifests record.
   *
   * @return the model's config
   */
  public ModelConfig requestedModel() {
    return requested;
  }

  /**
   * Makes the stages that follow quantize with these options (auto mode's calibration pass and its
   * chosen recipe).
   *
   * @param q the options
   */
  public void useQuantization(io.octet.quant.QuantOptions q) {
    this.model = requested.withQuantization(q);
  }

  public String runId() {
    return runId;
  }

  public HadoopObjectStore store() {
    return store;
  }

  public String warehouse() {
    return warehouse;
  }

  public Path scratch() {
    return scratch;
  }

  /**
   * Returns the URI of a file in this model's staging area.
   *
   * @param name the file name
   * @return the URI
   */
  public String staged(String name) {
    return Uris.join(warehouse, "_staging", runId, model.name(), name);
  }

  /**
   * Returns the model URI as a fully qualified URI.
   *
   * @return the FP32 model URI
   */
  public String fp32Uri() {
    return Uris.normalize(model.uri());
  }

  /**
   * Downloads (once) and parses the FP32 model.
   *
   * @return the model, with external data resolvable from the scratch directory
   */
  public synchronized OnnxModel fp32() {
    if (fp32 == null) {
      Path dir = scratch.resolve("fp32");
      Path local = dir.resolve(Uris.fileName(fp32Uri()));
      store.download(fp32Uri(), local);
      OnnxModel m;
      try {
        m = OnnxModelIO.read(local);
      } catch (io.octet.error.QuantException e) {
        // Name the model's URI, not the scratch copy the user never sees.
        throw new io.octet.error.QuantException(
            e.kind(),
            String.valueOf(e.getMessage()).replace(local.toString(), Uris.redact(fp32Uri())),
            e);
      }
      fp32DataFiles = externalFiles(m);
      for (String f : fp32DataFiles) {
        store.download(Uris.join(Uris.parent(fp32Uri()), f), dir.resolve(f));
      }
      fp32Sha = Hashing.sha256(openLocal(local));
      fp32Bytes = sizeOf(local);
      for (String f : fp32DataFiles) {
        fp32Bytes += sizeOf(dir.resolve(f));
      }
      fp32 = new OnnxModel(m.proto(), dir, model.name());
    }
    return fp32;
  }

  /**
   * Returns the FP32 model's size on disk, external data included.
   *
   * @return bytes
   */
  public synchronized long fp32Bytes() {
    fp32();
    return fp32Bytes;
  }

  private static long sizeOf(Path p) {
    try {
      return java.nio.file.Files.size(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Returns the memory budget of one executor (the driver, in local mode), from the run's {@code
   * run.memory-budget} and Spark's settings.
   *
   * @return the budget
   */
  public MemoryBudget memoryBudget() {
    return SparkMemory.budget(spark.sparkContext(), registry.run().memoryBudgetBytes());
  }

  /**
   * Returns what this model's batches may hold together in one executor: the budget less heap, JVM
   * and this model's open sessions; fails the model when nothing is left.
   *
   * @param budget {@link #memoryBudget()}
   * @return bytes
   */
  public long batchBytes(MemoryBudget budget) {
    return budget.batchBytes(model.name(), fp32Bytes(), registry.run().executorSessions());
  }

  /**
   * Returns the FP32 model file's SHA-256.
   *
   * @return the hash
   */
  public synchronized String fp32Sha() {
    fp32();
    return fp32Sha;
  }

  /**
   * Returns the FP32 model's external data file names (relative to the model).
   *
   * @return the names
   */
  public synchronized List<String> fp32DataFiles() {
    fp32();
    return fp32DataFiles;
  }

  /**
   * Returns the resolved input bindings.
   *
   * @return one binding per model input
   */
  public synchronized List<InputBinding> bindings() {
    if (bindings == null) {
      bindings = Bindings.resolve(fp32(), model.inputs());
    }
    return bindings;
  }

  /**
   * Names of the external data files a model refers to.
   *
   * @param m the model
   * @return distinct locations
   */
  public static List<String> externalFiles(OnnxModel m) {
    Set<String> out = new LinkedHashSet<>();
    for (TensorProto t : m.proto().getGraph().getInitializerList()) {
      if (ExternalData.isExternal(t)) {
        for (StringStringEntryProto e : t.getExternalDataList()) {
          if (e.getKey().equals("location")) {
            out.add(e.getValue());
          }
        }
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * Writes a model locally and uploads it (and its data file, if any) to staging.
   *
   * @param m the model
   * @param name the staged file name
   * @return the SHA-256 of the staged model file
   */
  public String stageModel(OnnxModel m, String name) {
    Path local = scratch.resolve("staged").resolve(name);
    List<Path> files = OnnxModelIO.write(m, local, OnnxModelIO.WriteOptions.DEFAULT);
    for (int i = files.size() - 1; i >= 0; i--) {
      store.upload(files.get(i), staged(files.get(i).getFileName().toString()));
    }
    return Hashing.sha256(openLocal(local));
  }

  /**
   * Removes a file {@link #stageModel} wrote (with its external data files), from staging and from
   * the local scratch directory, once nothing needs it.
   *
   * @param name the name it was staged under
   */
  public void unstage(String name) {
    Path dir = scratch.resolve("staged");
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith(name)).toList()) {
        store.delete(staged(f.getFileName().toString()));
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static java.io.InputStream openLocal(Path p) {
    try {
      return Files.newInputStream(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
