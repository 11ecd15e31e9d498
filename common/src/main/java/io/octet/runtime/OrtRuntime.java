package io.octet.runtime;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.octet.error.QuantErrors;
import io.octet.onnx.ExternalData;
import io.octet.onnx.OnnxModel;
import java.nio.file.Path;

/** The process-wide ONNX Runtime environment and the way Octet opens sessions. */
public final class OrtRuntime {
  private static final class Holder {
    static final OrtEnvironment ENV =
        OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "octet");
  }

  /** ONNX Runtime session config: where external data lives for a model loaded from bytes. */
  private static final String EXTERNAL_FOLDER_KEY =
      "session.model_external_initializers_file_folder_path";

  private OrtRuntime() {}

  /**
   * Returns the shared environment (created on first use).
   *
   * @return the environment
   */
  public static OrtEnvironment env() {
    return Holder.ENV;
  }

  /**
   * Returns the ONNX Runtime version string.
   *
   * @return e.g. "1.29.0"
   */
  public static String version() {
    return env().getVersion();
  }

  /**
   * How a session runs.
   *
   * @param intraOpThreads threads for one operator (set from {@code spark.task.cpus} in jobs)
   * @param optimize apply all graph optimizations (fusions that make INT8 fast); off for probes
   * @param calibration a calibration session: see {@link #calibration(int)}
   * @param arena ONNX Runtime's CPU memory arena and memory pattern (see {@link #batch(int)})
   */
  public record SessionSettings(
      int intraOpThreads, boolean optimize, boolean calibration, boolean arena) {
    /** Validates the thread count. */
    public SessionSettings {
      if (intraOpThreads < 1) {
        throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
      }
    }

    /**
     * An inference session.
     *
     * @param intraOpThreads threads for one operator
     * @param optimize apply all graph optimizations
     */
    public SessionSettings(int intraOpThreads, boolean optimize) {
      this(intraOpThreads, optimize, false, true);
    }

    /**
     * An inference session for budgeted batch work (validation): all optimizations, but no CPU
     * memory arena and no memory pattern. An arena keeps its largest batch's memory for the
     * session's life, outside what the batches in flight reserve; without it the memory a batch
     * used goes back when the batch ends, so the budget's accounting holds.
     *
     * @param intraOpThreads threads for one operator
     * @return the settings
     */
    public static SessionSettings batch(int intraOpThreads) {
      return new SessionSettings(intraOpThreads, true, false, false);
    }

    /**
     * A session on a calibration (augmented) model, which returns a large part of its activations
     * per batch.
     *
     * <ul>
     *   <li>No CPU memory arena: an arena keeps its largest batch's memory for the session's life
     *       (and rounds chunks up); calibration batches are large and their shapes vary. Measured
     *       on MiniLM with the default op set, 1000 rows, batches of 32: 0.75 GB lower peak.
     *   <li>No memory pattern: it plans one block per input shape, and calibration sees many.
     *   <li>Basic graph optimizations only. Fusions depend on which tensors are graph outputs, so
     *       when the calibrated tensors are split into groups, each returned by its own session,
     *       fused sessions would give a tensor other last bits than one session returning all (212
     *       of MiniLM's 240 histograms differed); without fusions every grouping computes the same
     *       arithmetic and the histograms are equal bit for bit.
     * </ul>
     *
     * <p>Measured on MiniLM, 1000 Europarl rows, local Spark with 2 slots (bench/calibration): with
     * the MatMul inputs calibrated, 0.77 of plain inference's throughput against 0.75 with all
     * optimizations and 0.79 for the inference settings used before; with the default op set 37.6 s
     * against 35.5 s for the inference settings.
     *
     * @param intraOpThreads threads for one operator
     * @return the settings
     */
    public static SessionSettings calibration(int intraOpThreads) {
      return new SessionSettings(intraOpThreads, false, true, false);
    }
  }

  /**
   * Opens a session on a model.
   *
   * <p>Inter-op threads are 1 and execution is sequential: Spark already runs one task per core,
   * and ONNX Runtime's default of one thread per core in every task oversubscribes the machine.
   *
   * @param model the model; external data files are read in place from its directory
   * @param settings threads and optimization
   * @return an open session the caller must close
   */
  public static OrtSession open(OnnxModel model, SessionSettings settings) {
    try (SessionOptions opts = options(settings)) {
      if (hasExternalData(model.proto().getGraph())) {
        if (model.baseDir() == null) {
          throw QuantErrors.badModel(
              model.name(),
              "it keeps tensors in external data files but was not read from a directory",
              null);
        }
        // ONNX Runtime then reads (memory-maps, when aligned) the external files where they are:
        // copying a multi-gigabyte data file for every session would cost minutes and disk.
        opts.addConfigEntry(EXTERNAL_FOLDER_KEY, model.baseDir().toAbsolutePath().toString());
      }
      return env().createSession(model.proto().toByteArray(), opts);
    } catch (OrtException e) {
      throw QuantErrors.runtime(model.name(), "loading the model", e);
    }
  }

  /**
   * Opens a session on a model file (external data next to it is found by ONNX Runtime).
   *
   * @param file the .onnx file
   * @param settings threads and optimization
   * @return an open session the caller must close
   */
  public static OrtSession open(Path file, SessionSettings settings) {
    try (SessionOptions opts = options(settings)) {
      return env().createSession(file.toString(), opts);
    } catch (OrtException e) {
      throw QuantErrors.runtime(file.toString(), "loading the model", e);
    }
  }

  private static SessionOptions options(SessionSettings s) throws OrtException {
    SessionOptions o = new SessionOptions();
    try {
      o.setIntraOpNumThreads(s.intraOpThreads());
      o.setInterOpNumThreads(1);
      o.setExecutionMode(ExecutionMode.SEQUENTIAL);
      if (s.calibration()) {
        o.setOptimizationLevel(OptLevel.BASIC_OPT);
      } else {
        o.setOptimizationLevel(s.optimize() ? OptLevel.ALL_OPT : OptLevel.NO_OPT);
      }
      if (!s.arena()) {
        o.setCPUArenaAllocator(false);
        o.setMemoryPatternOptimization(false);
      }
      o.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      return o;
    } catch (OrtException | RuntimeException e) {
      o.close();
      throw e;
    }
  }

  /** True when the graph or any subgraph keeps an initializer in an external file. */
  private static boolean hasExternalData(GraphProto g) {
    for (TensorProto t : g.getInitializerList()) {
      if (ExternalData.isExternal(t)) {
        return true;
      }
    }
    for (NodeProto n : g.getNodeList()) {
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG() && hasExternalData(a.getG())) {
          return true;
        }
        for (GraphProto sub : a.getGraphsList()) {
          if (hasExternalData(sub)) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
