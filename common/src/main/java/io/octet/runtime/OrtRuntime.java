package io.octet.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.octet.error.QuantErrors;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process-wide ONNX Runtime environment and the way Octet opens sessions. */
public final class OrtRuntime {
  private static final class Holder {
    static final OrtEnvironment ENV =
        OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "octet");
  }

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
   */
  public record SessionSettings(int intraOpThreads, boolean optimize) {
    /** Validates the thread count. */
    public SessionSettings {
      if (intraOpThreads < 1) {
        throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
      }
    }
  }

  /**
   * Opens a session on a model.
   *
   * <p>Inter-op threads are 1 and execution is sequential: Spark already runs one task per core,
   * and ONNX Runtime's default of one thread per core in every task oversubscribes the machine.
   *
   * @param model the model; one with external data is written to a temporary directory first
   * @param settings threads and optimization
   * @return an open session the caller must close
   */
  public static OrtSession open(OnnxModel model, SessionSettings settings) {
    try (SessionOptions opts = options(settings)) {
      if (hasExternalData(model)) {
        Path dir = Files.createTempDirectory("octet-session-");
        try {
          Path file = dir.resolve("model.onnx");
          OnnxModelIO.write(model, file, OnnxModelIO.WriteOptions.DEFAULT);
          return env().createSession(file.toString(), opts);
        } finally {
          deleteTree(dir);
        }
      }
      return env().createSession(model.proto().toByteArray(), opts);
    } catch (OrtException e) {
      throw QuantErrors.runtime(model.name(), "loading the model", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
      o.setOptimizationLevel(s.optimize() ? OptLevel.ALL_OPT : OptLevel.NO_OPT);
      o.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      return o;
    } catch (OrtException | RuntimeException e) {
      o.close();
      throw e;
    }
  }

  private static boolean hasExternalData(OnnxModel model) {
    return model.proto().getGraph().getInitializerList().stream()
        .anyMatch(io.octet.onnx.ExternalData::isExternal);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
