package io.octet.report;

import io.octet.report.ModelResult.GateOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One gate threshold next to the measured value it bounds.
 *
 * @param key the threshold's config key ("min-mean-cosine")
 * @param label what is measured ("mean cosine")
 * @param atLeast true for a lower bound, false for an upper bound
 * @param threshold the configured bound
 * @param actual the measured value, or NaN when not measured
 * @param decimals decimals to show
 */
record GateCheck(
    String key, String label, boolean atLeast, double threshold, double actual, int decimals) {

  /** Whether the value is within the bound; null when it was not measured. */
  Boolean ok() {
    if (Double.isNaN(actual)) {
      return null;
    }
    return atLeast ? actual >= threshold : actual <= threshold;
  }

  /** "≥ 0.97" or "≤ 0.5". */
  String bound() {
    return (atLeast ? "≥ " : "≤ ") + Html.sig(threshold);
  }

  /** "✓", "✗" or "" when not measured. */
  String mark() {
    Boolean ok = ok();
    return ok == null ? "" : ok ? "✓" : "✗";
  }

  /**
   * Pairs each configured threshold of a model with its measured value, in the gate's order.
   *
   * @param m the model
   * @return the checks (empty without a gate)
   */
  static List<GateCheck> of(ModelResult m) {
    List<GateCheck> out = new ArrayList<>();
    GateOutcome g = m.gate();
    if (g == null) {
      return out;
    }
    Fidelity f = m.metrics();
    for (Map.Entry<String, Double> e : g.thresholds().entrySet()) {
      out.add(check(e.getKey(), e.getValue(), f, m.latency()));
    }
    return out;
  }

  /**
   * Finds the check of one key.
   *
   * @param m the model
   * @param key the threshold key
   * @return the check, or null when the gate does not set it
   */
  static GateCheck find(ModelResult m, String key) {
    for (GateCheck c : of(m)) {
      if (c.key().equals(key)) {
        return c;
      }
    }
    return null;
  }

  private static GateCheck check(String key, double t, Fidelity f, ModelResult.Latency lat) {
    double nan = Double.NaN;
    return switch (key) {
      case "min-mean-cosine" ->
          new GateCheck(key, "mean cosine", true, t, f == null ? nan : f.meanCosine(), 5);
      case "min-cosine" ->
          new GateCheck(key, "min cosine", true, t, f == null ? nan : f.minCosine(), 5);
      case "min-sqnr-db" ->
          new GateCheck(key, "SQNR (dB)", true, t, f == null ? nan : f.sqnrDb(), 1);
      case "min-top1-agreement" ->
          new GateCheck(key, "top-1 agreement", true, t, f == null ? nan : f.top1Agreement(), 4);
      case "max-accuracy-drop-points" ->
          new GateCheck(
              key, "accuracy drop (points)", false, t, f == null ? nan : f.accuracyDropPoints(), 2);
      case "max-latency-ratio" ->
          new GateCheck(key, "latency INT8 / FP32", false, t, lat == null ? nan : lat.ratio(), 3);
      default -> new GateCheck(key, key, !key.startsWith("max-"), t, nan, 4);
    };
  }
}
