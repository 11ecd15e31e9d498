package io.octet.data;

import java.util.Map;
import java.util.OptionalInt;

/**
 * One row of a dataset: an id, a value per model input, and an optional class label.
 *
 * @param id a stable row id (used for deterministic batching and in error messages)
 * @param inputs values keyed by model input name
 * @param label the class label, or -1 when the row has none
 */
public record Sample(String id, Map<String, TensorValue> inputs, int label)
    implements java.io.Serializable {

  /** Copies the inputs map and validates the label. */
  public Sample {
    inputs = Map.copyOf(inputs);
    if (label < -1) {
      throw new IllegalArgumentException("Label must be >= 0 or -1 for none, got " + label);
    }
  }

  /**
   * Returns the label, if the row has one.
   *
   * @return the label
   */
  public OptionalInt labelIfAny() {
    return label < 0 ? OptionalInt.empty() : OptionalInt.of(label);
  }
}
