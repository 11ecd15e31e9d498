package io.octet.config;

import io.octet.data.ElemType;
import java.util.Arrays;

/**
 * How one model input is fed from a dataset column.
 *
 * @param input the model input name
 * @param column the dataset column (a flat numeric array per row, row-major)
 * @param dtype the element type the model expects
 * @param shape the per-row shape without the batch dimension; at most one -1 (variable, inferred
 *     from the row's array length)
 */
public record InputBinding(String input, String column, ElemType dtype, long[] shape)
    implements java.io.Serializable {
  /** Validates the names and the shape. */
  public InputBinding {
    if (input == null || input.isEmpty() || column == null || column.isEmpty()) {
      throw new IllegalArgumentException("An input binding needs a non-empty name and column");
    }
    shape = shape.clone();
    int variable = 0;
    for (long d : shape) {
      if (d == -1) {
        variable++;
      } else if (d < 1) {
        throw new IllegalArgumentException(
            "Input '" + input + "': shape dims must be >= 1 or -1, got " + Arrays.toString(shape));
      }
    }
    if (variable > 1) {
      throw new IllegalArgumentException(
          "Input '"
              + input
              + "': at most one dim may be -1 (variable), got "
              + Arrays.toString(shape));
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Resolves the row shape for a flat array of {@code length} elements.
   *
   * @param length the number of elements in the row's array
   * @return the concrete shape
   * @throws IllegalArgumentException when the length does not fit the shape
   */
  public long[] rowShape(int length) {
    long fixed = 1;
    int var = -1;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] == -1) {
        var = i;
      } else {
        fixed *= shape[i];
      }
    }
    long[] out = shape.clone();
    if (var >= 0) {
      if (fixed == 0 || length % fixed != 0) {
        throw new IllegalArgumentException(
            "column '"
                + column
                + "' has "
                + length
                + " values, not a multiple of "
                + fixed
                + " as shape "
                + Arrays.toString(shape)
                + " needs");
      }
      out[var] = length / fixed;
    } else if (fixed != length) {
      throw new IllegalArgumentException(
          "column '"
              + column
              + "' has "
              + length
              + " values but shape "
              + Arrays.toString(shape)
              + " needs "
              + fixed);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InputBinding b
        && b.input.equals(input)
        && b.column.equals(column)
        && b.dtype == dtype
        && Arrays.equals(b.shape, shape);
  }

  @Override
  public int hashCode() {
    return (input.hashCode() * 31 + column.hashCode()) * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return input + "<-" + column + ":" + dtype.configName() + Arrays.toString(shape);
  }
}
