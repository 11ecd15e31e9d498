package io.octet.report;

import java.util.ArrayList;
import java.util.List;

/** Maps data values to pixel positions along one axis, linearly or on a log10 scale. */
final class Scale {
  private final double d0;
  private final double d1;
  private final double r0;
  private final double r1;
  private final boolean log;

  private Scale(double d0, double d1, double r0, double r1, boolean log) {
    if (!(d1 > d0)) {
      throw new IllegalArgumentException("Empty domain [" + d0 + ", " + d1 + "]");
    }
    this.d0 = d0;
    this.d1 = d1;
    this.r0 = r0;
    this.r1 = r1;
    this.log = log;
  }

  /** A linear scale from [d0, d1] onto [r0, r1] (r1 may be below r0, as for y axes). */
  static Scale linear(double d0, double d1, double r0, double r1) {
    return new Scale(d0, d1, r0, r1, false);
  }

  /** A log10 scale from [d0, d1] (both positive) onto [r0, r1]. */
  static Scale log10(double d0, double d1, double r0, double r1) {
    if (!(d0 > 0)) {
      throw new IllegalArgumentException("A log scale needs a positive domain, got " + d0);
    }
    return new Scale(Math.log10(d0), Math.log10(d1), r0, r1, true);
  }

  /** Returns the pixel position of a value; values outside the domain extrapolate. */
  double map(double v) {
    double t = log ? Math.log10(v) : v;
    return r0 + (t - d0) / (d1 - d0) * (r1 - r0);
  }

  /** Returns the pixel position of a value, held inside the range. */
  double mapClamped(double v) {
    double p = log && v <= 0 ? r0 : map(v);
    return Math.max(Math.min(r0, r1), Math.min(Math.max(r0, r1), p));
  }

  double domainMin() {
    return log ? Math.pow(10, d0) : d0;
  }

  double domainMax() {
    return log ? Math.pow(10, d1) : d1;
  }

  boolean isLog() {
    return log;
  }

  /**
   * Returns tick values inside the domain: for a log scale the powers of ten (every second or fifth
   * one when there are many), for a linear scale round steps of 1, 2 or 5 × 10^n giving about
   * {@code target} ticks.
   */
  List<Double> ticks(int target) {
    List<Double> out = new ArrayList<>();
    if (log) {
      int lo = (int) Math.ceil(d0 - 1e-9);
      int hi = (int) Math.floor(d1 + 1e-9);
      int every = hi - lo + 1 <= target ? 1 : (hi - lo + 1 <= 2 * target ? 2 : 5);
      for (int e = lo; e <= hi; e++) {
        if ((e - lo) % every == 0) {
          out.add(Math.pow(10, e));
        }
      }
      return out;
    }
    double step = niceStep((d1 - d0) / Math.max(1, target));
    // Ticks are k * step; for steps below 1 compute k / (1 / step), which is exact for decimals
    // like 0.3 that k * 0.1 misses by one ulp.
    double inverse = step < 1 ? Math.rint(1 / step) : 0;
    long first = (long) Math.ceil(d0 / step - 1e-9);
    long last = (long) Math.floor(d1 / step + 1e-9);
    for (long k = first; k <= last; k++) {
      double t = inverse > 0 ? k / inverse : k * step;
      out.add(t == 0 ? 0.0 : t);
    }
    return out;
  }

  /** The smallest 1, 2 or 5 × 10^n at or above {@code raw}. */
  static double niceStep(double raw) {
    if (!(raw > 0) || !Double.isFinite(raw)) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / p;
    double m = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;
    return m * p;
  }
}
