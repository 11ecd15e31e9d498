package io.octet.validate;

import com.typesafe.config.Config;

/**
 * How FP32 and INT8 outputs are compared.
 *
 * @param output the model output to compare ("" = the first output)
 * @param pooling reduce each row before comparison (mean-pool for sentence embeddings)
 * @param maskInput the input holding the attention mask for mean pooling
 * @param topK k for the top-k agreement
 */
public record ValidationOptions(String output, Pooling pooling, String maskInput, int topK)
    implements java.io.Serializable {
  /** Validates k. */
  public ValidationOptions {
    if (topK < 1) {
      throw new IllegalArgumentException("validation.top-k must be >= 1, got " + topK);
    }
  }

  /**
   * Reads the comparison keys of a {@code validation} section.
   *
   * @param c the section
   * @return the options
   */
  public static ValidationOptions fromConfig(Config c) {
    return new ValidationOptions(
        c.getString("output"),
        Pooling.fromConfig(c.getString("pooling")),
        c.getString("mask-input"),
        c.getInt("top-k"));
  }
}
