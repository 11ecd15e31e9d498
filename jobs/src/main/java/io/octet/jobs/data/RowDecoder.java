package io.octet.jobs.data;

import io.octet.config.InputBinding;
import io.octet.data.ElemType;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.error.QuantErrors;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Turns Spark's internal rows into {@link Sample}s: each bound column's array is copied straight
 * into a primitive Java array ({@code ArrayData.toLongArray()} and friends), with no per-element
 * boxing, then shaped per the binding.
 *
 * <p>Built on the driver, where every mismatch between dataset and model is reported before any
 * task runs; serialized to the executors.
 */
public final class RowDecoder implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How a column's values are read. */
  enum Kind {
    LONG,
    INT,
    SHORT,
    BYTE,
    FLOAT,
    DOUBLE
  }

  /**
   * One bound column.
   *
   * @param binding the binding
   * @param ordinal the column's position in the schema
   * @param kind the column's element type
   * @param array whether the column is an array (else a scalar)
   */
  record Col(InputBinding binding, int ordinal, Kind kind, boolean array) implements Serializable {}

  private final String model;
  private final List<Col> cols;
  private final int labelOrdinal;
  private final Kind labelKind;
  private final int idOrdinal;
  private final DataType idType;
  private final String idColumn;

  private RowDecoder(
      String model,
      List<Col> cols,
      int labelOrdinal,
      Kind labelKind,
      int idOrdinal,
      DataType idType,
      String idColumn) {
    this.model = model;
    this.cols = List.copyOf(cols);
    this.labelOrdinal = labelOrdinal;
    this.labelKind = labelKind;
    this.idOrdinal = idOrdinal;
    this.idType = idType;
    this.idColumn = idColumn;
  }

  /**
   * Binds a dataset schema to a model's inputs.
   *
   * @param model the model's name, for errors
   * @param dataset the dataset URI, for errors
   * @param schema the dataset's schema
   * @param bindings the resolved bindings (one per model input)
   * @param labelColumn the label column or null
   * @param idColumn the id column or null
   * @return the decoder
   * @throws io.octet.error.QuantException naming the model, column and fix on any mismatch
   */
  public static RowDecoder create(
      String model,
      String dataset,
      StructType schema,
      List<InputBinding> bindings,
      String labelColumn,
      String idColumn) {
    List<Col> cols = new ArrayList<>();
    for (InputBinding b : bindings) {
      int ord = ordinal(model, dataset, schema, b.column(), "input '" + b.input() + "'");
      StructField f = schema.fields()[ord];
      DataType t = f.dataType();
      boolean array = t instanceof ArrayType;
      DataType elem = array ? ((ArrayType) t).elementType() : t;
      Kind kind = kind(elem);
      if (kind == null || !compatible(kind, b.dtype())) {
        throw QuantErrors.badData(
            model,
            "column '"
                + b.column()
                + "' of "
                + dataset
                + " holds "
                + t.simpleString()
                + " but input '"
                + b.input()
                + "' needs "
                + b.dtype().configName()
                + " values",
            "Write the column as array<"
                + sparkName(b.dtype())
                + ">, or fix the input's dtype"
                + " in the registry.");
      }
      if (!array && product(b.shape()) != 1) {
        throw QuantErrors.badData(
            model,
            "column '"
                + b.column()
                + "' is a scalar but input '"
                + b.input()
                + "' needs shape "
                + Arrays.toString(b.shape()),
            "Store one flat array per row in the column.");
      }
      cols.add(new Col(b, ord, kind, array));
    }
    int labelOrd = -1;
    Kind labelKind = null;
    if (labelColumn != null) {
      labelOrd = ordinal(model, dataset, schema, labelColumn, "the label");
      labelKind = kind(schema.fields()[labelOrd].dataType());
      if (labelKind == null || labelKind == Kind.FLOAT || labelKind == Kind.DOUBLE) {
        throw QuantErrors.badData(
            model,
            "label column '"
                + labelColumn
                + "' must hold integer class ids, it holds "
                + schema.fields()[labelOrd].dataType().simpleString(),
            "Store labels as int or bigint.");
      }
    }
    int idOrd = idColumn == null ? -1 : ordinal(model, dataset, schema, idColumn, "the row id");
    DataType idType = idOrd < 0 ? null : schema.fields()[idOrd].dataType();
    return new RowDecoder(model, cols, labelOrd, labelKind, idOrd, idType, idColumn);
  }

  /**
   * Decodes one row.
   *
   * @param row the internal row (may be a reused object: everything is copied out)
   * @param fallbackId an id to use when the dataset has no id column
   * @return the sample
   */
  public Sample decode(InternalRow row, String fallbackId) {
    String id = idOrdinal >= 0 && !row.isNullAt(idOrdinal) ? idString(row) : fallbackId;
    Map<String, TensorValue> inputs = new LinkedHashMap<>();
    for (Col c : cols) {
      if (row.isNullAt(c.ordinal())) {
        throw QuantErrors.badData(
            model,
            "row " + id + " has no value (null) in column '" + c.binding().column() + "'",
            "Drop or fill rows with missing inputs.");
      }
      Object data = c.array() ? readArray(row.getArray(c.ordinal()), c, id) : readScalar(row, c);
      int len = java.lang.reflect.Array.getLength(data);
      long[] shape;
      try {
        shape = c.binding().rowShape(len);
      } catch (IllegalArgumentException e) {
        throw QuantErrors.badData(
            model,
            "row " + id + ": " + e.getMessage() + " (input '" + c.binding().input() + "')",
            "Fix the data or the input's shape in the registry.");
      }
      inputs.put(c.binding().input(), new TensorValue(c.binding().dtype(), shape, data));
    }
    int label = -1;
    if (labelOrdinal >= 0 && !row.isNullAt(labelOrdinal)) {
      label = (int) integer(row, labelOrdinal, labelKind);
    }
    return new Sample(id, inputs, label);
  }

  private String idString(InternalRow row) {
    return String.valueOf(row.get(idOrdinal, idType));
  }

  private Object readArray(ArrayData a, Col c, String id) {
    if (a.numElements() > 0) {
      for (int i = 0; i < a.numElements(); i++) {
        if (a.isNullAt(i)) {
          throw QuantErrors.badData(
              model,
              "row "
                  + id
                  + " has a null element at index "
                  + i
                  + " of column '"
                  + c.binding().column()
                  + "'",
              "Arrays must not contain nulls.");
        }
      }
    }
    ElemType want = c.binding().dtype();
    return switch (c.kind()) {
      case LONG -> a.toLongArray();
      case INT -> want == ElemType.INT64 ? widen(a.toIntArray()) : a.toIntArray();
      case SHORT -> want == ElemType.INT64 ? widen(a.toShortArray()) : widenInt(a.toShortArray());
      case BYTE ->
          want == ElemType.INT64
              ? widen(a.toByteArray())
              : want == ElemType.INT32 ? widenInt(a.toByteArray()) : a.toByteArray();
      case FLOAT ->
          want == ElemType.DOUBLE ? widen(a.toFloatArray()) : finite(a.toFloatArray(), c, id);
      case DOUBLE -> finite(a.toDoubleArray(), c, id);
    };
  }

  private Object readScalar(InternalRow row, Col c) {
    int o = c.ordinal();
    ElemType want = c.binding().dtype();
    return switch (want) {
      case FLOAT -> new float[] {row.getFloat(o)};
      case DOUBLE -> new double[] {c.kind() == Kind.FLOAT ? row.getFloat(o) : row.getDouble(o)};
      case INT64 -> new long[] {integer(row, o, c.kind())};
      case INT32 -> new int[] {(int) integer(row, o, c.kind())};
      default -> new byte[] {(byte) integer(row, o, c.kind())};
    };
  }

  private float[] finite(float[] v, Col c, String id) {
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw nonFinite(c, id, i, v[i]);
      }
    }
    return v;
  }

  private double[] finite(double[] v, Col c, String id) {
    for (int i = 0; i < v.length; i++) {
      if (!Double.isFinite(v[i])) {
        throw nonFinite(c, id, i, v[i]);
      }
    }
    return v;
  }

  private RuntimeException nonFinite(Col c, String id, int i, double v) {
    return QuantErrors.badData(
        model,
        "row "
            + id
            + " holds "
            + v
            + " at element "
            + i
            + " of column '"
            + c.binding().column()
            + "'; calibration and validation need finite inputs",
        "Clean the data (drop or impute rows with NaN/Inf).");
  }

  private static long integer(InternalRow row, int o, Kind k) {
    return switch (k) {
      case LONG -> row.getLong(o);
      case INT -> row.getInt(o);
      case SHORT -> row.getShort(o);
      case BYTE -> row.getByte(o);
      case FLOAT -> (long) row.getFloat(o);
      case DOUBLE -> (long) row.getDouble(o);
    };
  }

  private static long[] widen(int[] v) {
    long[] o = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = v[i];
    }
    return o;
  }

  private static long[] widen(short[] v) {
    long[] o = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = v[i];
    }
    return o;
  }

  private static long[] widen(byte[] v) {
    long[] o = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = v[i];
    }
    return o;
  }

  private static int[] widenInt(short[] v) {
    int[] o = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = v[i];
    }
    return o;
  }

  private static int[] widenInt(byte[] v) {
    int[] o = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = v[i];
    }
    return o;
  }

  private static double[] widen(float[] v) {
    double[] o = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = v[i];
    }
    return o;
  }

  private static int ordinal(
      String model, String dataset, StructType schema, String column, String what) {
    for (int i = 0; i < schema.fields().length; i++) {
      if (schema.fields()[i].name().equals(column)) {
        return i;
      }
    }
    throw QuantErrors.badData(
        model,
        "dataset "
            + dataset
            + " has no column '"
            + column
            + "' for "
            + what
            + " (columns: "
            + Arrays.toString(schema.fieldNames())
            + ")",
        "Add the column, or bind the input to an existing column in the registry's inputs.");
  }

  private static Kind kind(DataType t) {
    if (t.equals(DataTypes.LongType)) {
      return Kind.LONG;
    } else if (t.equals(DataTypes.IntegerType)) {
      return Kind.INT;
    } else if (t.equals(DataTypes.ShortType)) {
      return Kind.SHORT;
    } else if (t.equals(DataTypes.ByteType)) {
      return Kind.BYTE;
    } else if (t.equals(DataTypes.FloatType)) {
      return Kind.FLOAT;
    } else if (t.equals(DataTypes.DoubleType)) {
      return Kind.DOUBLE;
    }
    return null;
  }

  /** Exact types and lossless widenings only; a lossy conversion is a data error, not a guess. */
  private static boolean compatible(Kind k, ElemType want) {
    return switch (want) {
      case INT64 -> k == Kind.LONG || k == Kind.INT || k == Kind.SHORT || k == Kind.BYTE;
      case INT32 -> k == Kind.INT || k == Kind.SHORT || k == Kind.BYTE;
      case INT8, UINT8, BOOL -> k == Kind.BYTE;
      case FLOAT -> k == Kind.FLOAT;
      case DOUBLE -> k == Kind.DOUBLE || k == Kind.FLOAT;
    };
  }

  private static String sparkName(ElemType t) {
    return switch (t) {
      case FLOAT -> "float";
      case DOUBLE -> "double";
      case INT64 -> "bigint";
      case INT32 -> "int";
      default -> "tinyint";
    };
  }

  private static long product(long[] shape) {
    long p = 1;
    for (long d : shape) {
      p *= Math.abs(d);
    }
    return p;
  }

  /**
   * Returns the id column name, or null.
   *
   * @return the column
   */
  public String idColumn() {
    return idColumn;
  }
}
