package io.octet.error;

import io.octet.error.QuantException.Kind;
import java.util.Locale;

/**
 * Factory for every user-facing {@link QuantException}: each message states the problem, why it
 * happened, and how to fix it, and names the model, file or key involved.
 */
public final class QuantErrors {
  private QuantErrors() {}

  /**
   * A model file that cannot be read as ONNX.
   *
   * @param file the file or URI that was read
   * @param problem what is wrong with it
   * @param cause the parse or IO failure, or null
   * @return the exception to throw
   */
  public static QuantException badModel(String file, String problem, Throwable cause) {
    return new QuantException(
        Kind.BAD_MODEL,
        fmt(
            "Cannot read ONNX model '%s': %s. Check that the file is a complete ONNX model (export"
                + " it again, or copy it again if the upload was interrupted).",
            file, problem),
        cause);
  }

  /**
   * A valid model that uses something Octet cannot handle.
   *
   * @param model the model's name or file
   * @param problem what is unsupported
   * @param fix how the user can get past it
   * @return the exception to throw
   */
  public static QuantException unsupported(String model, String problem, String fix) {
    return new QuantException(
        Kind.UNSUPPORTED_MODEL, fmt("Model '%s': %s. %s", model, problem, fix), null);
  }

  /**
   * Input data that does not fit the model.
   *
   * @param model the model's name or file
   * @param problem what is wrong with the data
   * @param fix how the user can fix the data or the binding
   * @return the exception to throw
   */
  public static QuantException badData(String model, String problem, String fix) {
    return new QuantException(Kind.BAD_DATA, fmt("Model '%s': %s. %s", model, problem, fix), null);
  }

  /**
   * A config or registry key that is unknown, mistyped, missing or out of range.
   *
   * @param file the config file or registry the key came from
   * @param key the full key path
   * @param problem what is wrong with it
   * @param cause the parse failure, or null
   * @return the exception to throw
   */
  public static QuantException badConfig(String file, String key, String problem, Throwable cause) {
    return new QuantException(
        Kind.BAD_CONFIG, fmt("Config error in '%s' at key '%s': %s", file, key, problem), cause);
  }

  /**
   * Non-finite values where calibration needs finite ones.
   *
   * @param model the model's name or file
   * @param tensor the tensor holding them
   * @param count how many values were not finite
   * @param total how many values were seen
   * @return the exception to throw
   */
  public static QuantException nonFinite(String model, String tensor, long count, long total) {
    return new QuantException(
        Kind.NON_FINITE,
        fmt(
            "Model '%s': tensor '%s' produced %d NaN/Inf values out of %d during calibration and"
                + " has no finite value to calibrate on. Check the calibration data for NaN/Inf"
                + " inputs, or exclude the tensor's consumer with quantization.exclude-nodes.",
            model, tensor, count, total),
        null);
  }

  /**
   * ONNX Runtime refused the model or failed while running it.
   *
   * @param model the model's name or file
   * @param action what Octet was doing
   * @param cause the runtime's exception
   * @return the exception to throw
   */
  public static QuantException runtime(String model, String action, Throwable cause) {
    return new QuantException(
        Kind.RUNTIME,
        fmt(
            "Model '%s': ONNX Runtime failed while %s: %s",
            model, action, cause == null ? "unknown error" : cause.getMessage()),
        cause);
  }

  /**
   * Reading or writing storage failed.
   *
   * @param uri the object or file involved
   * @param action what Octet was doing
   * @param cause the IO failure
   * @return the exception to throw
   */
  public static QuantException storage(String uri, String action, Throwable cause) {
    return new QuantException(
        Kind.STORAGE,
        fmt(
            "Storage error while %s '%s': %s",
            action, uri, cause == null ? "unknown error" : cause.getMessage()),
        cause);
  }

  /**
   * A run id that was used before: published runs are immutable, so their prefix is never written
   * again.
   *
   * @param runId the run id
   * @param where the prefix or marker that shows the earlier use
   * @param detail what the earlier use left there
   * @return the exception to throw (kind BAD_CONFIG: a usage error, exit code 2)
   */
  public static QuantException runIdUsed(String runId, String where, String detail) {
    return new QuantException(
        Kind.BAD_CONFIG,
        fmt(
            "Run id '%s' was already used: %s (%s). A run prefix is written at most once, so a"
                + " published run never changes under its manifest. Leave out --run-id for a fresh"
                + " id; 'bin/octet gc' removes unpublished leftovers after their grace period.",
            runId, detail, where),
        null);
  }

  private static String fmt(String template, Object... args) {
    return String.format(Locale.ROOT, template, args);
  }

  /**
   * Work that cannot fit the memory budget however it is split.
   *
   * @param model the model's name
   * @param what what does not fit (e.g. "one row of calibrated tensor X")
   * @param needBytes the estimate
   * @param budget the budget, described with where it came from
   * @return the exception to throw
   */
  public static QuantException overBudget(
      String model, String what, long needBytes, String budget) {
    return new QuantException(
        Kind.MEMORY,
        fmt(
            "Model '%s': %s: about %s, more than the memory budget allows (%s). Give"
                + " executors more memory (spark.executor.memoryOverhead on YARN and Kubernetes;"
                + " OCTET_DRIVER_MEMORY is heap only) or set run.memory-budget higher; or lower"
                + " run.executor-sessions (sessions kept open) or calibration.batch-size, or"
                + " exclude the model's largest tensors (quantization.exclude-nodes).",
            model, what, bytes(needBytes), budget),
        null);
  }

  /**
   * Formats a byte count for messages ("1.5 GiB").
   *
   * @param bytes the count
   * @return the text
   */
  public static String bytes(long bytes) {
    if (bytes < 1024L * 1024) {
      return fmt("%.1f KiB", bytes / 1024.0);
    }
    if (bytes < 1024L * 1024 * 1024) {
      return fmt("%.1f MiB", bytes / (1024.0 * 1024));
    }
    return fmt("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }
}
