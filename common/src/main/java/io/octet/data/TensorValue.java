package io.octet.data;

import java.util.Arrays;

/**
 * One row's value for one model input: its element type, its shape (without the batch dimension)
 * and a primitive array holding the elements in row-major order.
 *
 * @param type the element type
 * @param shape the row's shape, e.g. [sequenceLength] or [1, 8, 8]
 * @param data a float[], double[], long[], int[] or byte[] matching {@code type}
 */
public record TensorValue(ElemType type, long[] shape, Object data)
    implements java.io.Serializable {

  /** Validates that the array's type and length match the element type and shape. */
  public TensorValue {
    shape = shape.clone();
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("Negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    int len = length(type, data);
    if (len != n) {
      throw new IllegalArgumentException(
          "A "
              + type.configName()
              + " value of shape "
              + Arrays.toString(shape)
              + " needs "
              + n
              + " elements but has "
              + len);
    }
  }

  /**
   * A float row value.
   *
   * @param shape its shape
   * @param values its elements
   * @return the value
   */
  public static TensorValue ofFloats(long[] shape, float[] values) {
    return new TensorValue(ElemType.FLOAT, shape, values);
  }

  /**
   * An int64 row value.
   *
   * @param shape its shape
   * @param values its elements
   * @return the value
   */
  public static TensorValue ofLongs(long[] shape, long[] values) {
    return new TensorValue(ElemType.INT64, shape, values);
  }

  /**
   * Returns the number of elements.
   *
   * @return the element count
   */
  public int size() {
    return length(type, data);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Returns the shape without copying; callers must not modify it.
   *
   * @return the shape array
   */
  long[] shapeRef() {
    return shape;
  }

  private static int length(ElemType type, Object data) {
    return switch (type) {
      case FLOAT -> ((float[]) cast(data, float[].class, type)).length;
      case DOUBLE -> ((double[]) cast(data, double[].class, type)).length;
      case INT64 -> ((long[]) cast(data, long[].class, type)).length;
      case INT32 -> ((int[]) cast(data, int[].class, type)).length;
      case INT8, UINT8, BOOL -> ((byte[]) cast(data, byte[].class, type)).length;
    };
  }

  private static Object cast(Object data, Class<?> expected, ElemType type) {
    if (!expected.isInstance(data)) {
      throw new IllegalArgumentException(
          "A "
              + type.configName()
              + " value must hold a "
              + expected.getSimpleName()
              + ", got "
              + (data == null ? "null" : data.getClass().getSimpleName()));
    }
    return data;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TensorValue v)) {
      return false;
    }
    return type == v.type
        && Arrays.equals(shape, v.shape)
        && Arrays.deepEquals(new Object[] {data}, new Object[] {v.data});
  }

  @Override
  public int hashCode() {
    return 31 * (31 * type.hashCode() + Arrays.hashCode(shape))
        + Arrays.deepHashCode(new Object[] {data});
  }

  @Override
  public String toString() {
    return type.configName() + Arrays.toString(shape);
  }
}
