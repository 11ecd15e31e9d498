package io.octet.error;

/**
 * A failure the user can act on: bad input, a model Octet cannot quantize, a config mistake.
 *
 * <p>Messages say what is wrong, why, and how to fix it. Instances come from {@link QuantErrors} so
 * that wording stays consistent; the cause, when there is one, is always chained.
 */
public class QuantException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, in a word a run summary can group by. */
  public enum Kind {
    /** The model file is missing, corrupt, truncated or not ONNX. */
    BAD_MODEL,
    /** The model is valid ONNX but uses something Octet cannot quantize. */
    UNSUPPORTED_MODEL,
    /** A dataset is missing, empty, or does not match the model's inputs. */
    BAD_DATA,
    /** Activations or data hold values calibration cannot use (NaN, Inf). */
    NON_FINITE,
    /** A config or registry key is unknown, mistyped, missing or out of range. */
    BAD_CONFIG,
    /** Reading or writing storage failed. */
    STORAGE,
    /** ONNX Runtime refused the model or failed while running it. */
    RUNTIME,
    /** The model's work does not fit the executor's memory budget. */
    MEMORY
  }

  private final Kind kind;

  /**
   * Creates an exception.
   *
   * @param kind what kind of failure this is
   * @param message what is wrong, why, and how to fix it
   * @param cause the underlying failure, or null
   */
  public QuantException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  /**
   * Returns the failure's kind.
   *
   * @return the kind
   */
  public Kind kind() {
    return kind;
  }
}
