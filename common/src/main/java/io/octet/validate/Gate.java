package io.octet.validate;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The pass/fail bar a quantized model must clear before it is published. Every threshold is
 * optional (NaN = not checked).
 *
 * @param minMeanCosine lowest acceptable mean cosine similarity to FP32
 * @param minCosine lowest acceptable cosine of the worst row
 * @param minSqnrDb lowest acceptable SQNR in dB
 * @param maxAccuracyDropPoints largest acceptable FP32 − INT8 accuracy drop, in points
 * @param minTop1Agreement lowest acceptable share of rows with the same argmax
 * @param maxLatencyRatio largest acceptable INT8/FP32 latency ratio (1.0 = no slower)
 */
public record Gate(
    double minMeanCosine,
    double minCosine,
    double minSqnrDb,
    double maxAccuracyDropPoints,
    double minTop1Agreement,
    double maxLatencyRatio)
    implements java.io.Serializable {

  /** A gate that checks nothing. */
  public static final Gate NONE =
      new Gate(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

  /**
   * Reads a {@code validation.gate} section; a key set to null is not checked.
   *
   * @param c the gate section
   * @return the gate
   */
  public static Gate fromConfig(Config c) {
    return new Gate(
        opt(c, "min-mean-cosine"),
        opt(c, "min-cosine"),
        opt(c, "min-sqnr-db"),
        opt(c, "max-accuracy-drop-points"),
        opt(c, "min-top1-agreement"),
        opt(c, "max-latency-ratio"));
  }

  private static double opt(Config c, String key) {
    return c.hasPath(key) ? c.getDouble(key) : Double.NaN;
  }

  /**
   * The gate's verdict.
   *
   * @param passed whether every configured threshold held
   * @param failures one line per threshold that did not hold
   */
  public record Verdict(boolean passed, List<String> failures) {
    /** Copies the list. */
    public Verdict {
      failures = List.copyOf(failures);
    }
  }

  /**
   * Checks metrics against the thresholds.
   *
   * @param m the validation metrics
   * @param latencyRatio INT8/FP32 latency, or NaN when not measured
   * @return the verdict
   */
  public Verdict evaluate(ValidationMetrics m, double latencyRatio) {
    List<String> f = new ArrayList<>();
    if (m.nonFiniteRows() > 0) {
      f.add(m.nonFiniteRows() + " rows produced NaN/Inf (INT8 or FP32 output)");
    }
    atLeast(f, "mean cosine", m.meanCosine(), minMeanCosine);
    atLeast(f, "min cosine", m.minCosine(), minCosine);
    atLeast(f, "SQNR dB", m.sqnrDb(), minSqnrDb);
    atLeast(f, "top-1 agreement", m.top1Agreement(), minTop1Agreement);
    if (!Double.isNaN(maxAccuracyDropPoints)) {
      double drop = m.accuracyDropPoints();
      if (Double.isNaN(drop)) {
        f.add("accuracy drop is gated but the validation data has no labels");
      } else if (drop > maxAccuracyDropPoints) {
        f.add(fmt("accuracy drop %.2f points > %.2f allowed", drop, maxAccuracyDropPoints));
      }
    }
    if (!Double.isNaN(maxLatencyRatio)
        && !Double.isNaN(latencyRatio)
        && latencyRatio > maxLatencyRatio) {
      f.add(fmt("latency ratio %.3f > %.3f allowed", latencyRatio, maxLatencyRatio));
    }
    return new Verdict(f.isEmpty(), f);
  }

  private static void atLeast(List<String> f, String what, double value, double min) {
    if (!Double.isNaN(min) && !(value >= min)) {
      f.add(fmt("%s %.5f < %.5f required", what, value, min));
    }
  }

  private static String fmt(String t, Object... a) {
    return String.format(Locale.ROOT, t, a);
  }
}
