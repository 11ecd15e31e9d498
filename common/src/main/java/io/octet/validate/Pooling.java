package io.octet.validate;

import java.util.Locale;

/** How a model output is reduced to one vector per row before comparison. */
public enum Pooling {
  /** Compare the whole output row, flattened. */
  NONE,
  /**
   * Average over the sequence axis using the attention mask (sentence embeddings): output [rows,
   * seq, dim] becomes [rows, dim], counting only positions whose mask is non-zero.
   */
  MEAN;

  /**
   * Parses "none" or "mean".
   *
   * @param name the config value
   * @return the pooling
   */
  public static Pooling fromConfig(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "none" -> NONE;
      case "mean" -> MEAN;
      default ->
          throw new IllegalArgumentException("Unknown pooling '" + name + "': use none or mean");
    };
  }
}
