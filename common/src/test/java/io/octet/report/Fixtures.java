package io.octet.report;

import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.calib.CalibrationTable.TensorCalibration;
import io.octet.calib.ClipRange;
import io.octet.calib.QuantParams;
import io.octet.calib.QuantType;
import io.octet.histogram.Histogram;
import io.octet.histogram.HistogramAccumulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small hand-checkable inputs for unit tests. */
final class Fixtures {
  private Fixtures() {}

  /**
   * 1000 zeros, 100 ones, 10 twos and one three: on 128 bins the grid is 2^-5 wide, so the values
   * sit in bins 0, 32, 64 and 96, and the histogram spans [0, 3.03125).
   */
  static Histogram steps() {
    HistogramAccumulator acc = new HistogramAccumulator(128);
    add(acc, 0f, 1000);
    add(acc, 1f, 100);
    add(acc, 2f, 10);
    add(acc, 3f, 1);
    return acc.snapshot();
  }

  static void add(HistogramAccumulator acc, float v, int n) {
    float[] a = new float[n];
    Arrays.fill(a, v);
    acc.add(a, 0, n);
  }

  /** A uint8 calibration of a histogram with a given range. */
  static TensorCalibration calibration(String name, Histogram h, float lo, float hi) {
    return new TensorCalibration(
        name,
        CalibrationMethod.MINMAX,
        Double.NaN,
        QuantType.UINT8,
        false,
        new ClipRange(lo, hi),
        QuantParams.fromRange(lo, hi, QuantType.UINT8, false),
        h);
  }

  static CalibrationTable table(String model, TensorCalibration... ts) {
    Map<String, TensorCalibration> m = new LinkedHashMap<>();
    for (TensorCalibration t : ts) {
      m.put(t.tensor(), t);
    }
    return new CalibrationTable(model, 100, m);
  }

  static byte[] resource(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/report/" + name)) {
      if (in == null) {
        throw new IllegalStateException("Missing test resource /report/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
