package io.octet.tune;

import com.typesafe.config.Config;
import io.octet.calib.CalibrationMethod;
import io.octet.validate.Gate;
import java.io.Serializable;
import java.util.List;
import java.util.Set;

/**
 * The {@code quantization.auto} section: which recipes auto mode may try and how it picks one.
 *
 * @param recipes recipe families auto mode may derive ({@link Recipe#FAMILIES}), in order
 * @param staticMethods clipping methods tried by every static recipe (histograms are shared, so
 *     each costs one evaluation on the sample, no calibration pass)
 * @param embeddings offer 8-bit embedding tables (kept wherever the gate still passes)
 * @param embeddingMinBytes smallest Gather table that counts as an embedding worth 8 bits
 * @param speedTie candidates whose speedups are within this fraction of the fastest tie
 * @param sampleRows validation rows candidates are evaluated on
 * @param latencyRows rows each candidate is timed on, alternating with FP32 (0 = no timing: every
 *     candidate ties on speed)
 * @param tuneTrials when no static candidate passes the gate, the closest one is handed to the
 *     accuracy-aware tuner with this many trials (0 = never), and what it finds joins the
 *     candidates
 * @param labelledGate the gate used for models with a label column when validation.gate sets no
 *     fidelity threshold
 * @param unlabelledGate likewise for models without labels
 */
public record AutoOptions(
    List<String> recipes,
    List<CalibrationMethod> staticMethods,
    boolean embeddings,
    long embeddingMinBytes,
    double speedTie,
    int sampleRows,
    int latencyRows,
    int tuneTrials,
    Gate labelledGate,
    Gate unlabelledGate)
    implements Serializable {

  /** Validates names and ranges. */
  public AutoOptions {
    recipes = List.copyOf(recipes);
    staticMethods = List.copyOf(staticMethods);
    if (recipes.isEmpty()) {
      throw new IllegalArgumentException(
          "quantization.auto.recipes is empty: list at least one of " + Recipe.FAMILIES);
    }
    for (String r : recipes) {
      if (!Recipe.FAMILIES.contains(r)) {
        throw new IllegalArgumentException(
            "quantization.auto.recipes: unknown recipe '" + r + "': use " + Recipe.FAMILIES);
      }
    }
    if (Set.copyOf(recipes).size() != recipes.size()) {
      throw new IllegalArgumentException(
          "quantization.auto.recipes lists a recipe twice: " + recipes);
    }
    if (staticMethods.isEmpty()) {
      throw new IllegalArgumentException(
          "quantization.auto.static-methods is empty: list at least one clipping method");
    }
    if (embeddingMinBytes < 0 || !(speedTie >= 0 && speedTie < 1) || sampleRows < 1) {
      throw new IllegalArgumentException(
          "quantization.auto: embedding-min-bytes must be >= 0, speed-tie in [0, 1), sample-rows"
              + " >= 1");
    }
    if (latencyRows < 0) {
      throw new IllegalArgumentException("quantization.auto.latency-rows must be >= 0");
    }
    if (tuneTrials < 0) {
      throw new IllegalArgumentException(
          "quantization.auto.tune-trials must be >= 0 (0 = no tuned candidate)");
    }
  }

  /**
   * Reads the section.
   *
   * @param c the auto section, merged with defaults
   * @return the options
   */
  public static AutoOptions fromConfig(Config c) {
    return new AutoOptions(
        c.getStringList("recipes"),
        c.getStringList("static-methods").stream().map(CalibrationMethod::fromConfig).toList(),
        c.getBoolean("embeddings"),
        c.getBytes("embedding-min-bytes"),
        c.getDouble("speed-tie"),
        c.getInt("sample-rows"),
        c.getInt("latency-rows"),
        c.getInt("tune-trials"),
        Gate.fromConfig(c.getConfig("default-gate.labelled")),
        Gate.fromConfig(c.getConfig("default-gate.unlabelled")));
  }

  /**
   * The gate a model is held to in auto mode: its own when that sets a fidelity threshold, else the
   * default for its kind. Without a fidelity bound, "the fastest candidate that passes" would be
   * the fastest at any fidelity.
   *
   * @param own the model's validation.gate
   * @param labelled whether the model has a label column
   * @return the gate to use
   */
  public Gate gateFor(Gate own, boolean labelled) {
    if (checksFidelity(own)) {
      return own;
    }
    Gate d = labelled ? labelledGate : unlabelledGate;
    return new Gate(
        d.minMeanCosine(),
        d.minCosine(),
        d.minSqnrDb(),
        d.maxAccuracyDropPoints(),
        d.minTop1Agreement(),
        own.maxLatencyRatio());
  }

  /**
   * Whether a gate bounds fidelity at all (latency alone does not).
   *
   * @param g the gate
   * @return true when some fidelity threshold is set
   */
  public static boolean checksFidelity(Gate g) {
    return !Double.isNaN(g.minMeanCosine())
        || !Double.isNaN(g.minCosine())
        || !Double.isNaN(g.minSqnrDb())
        || !Double.isNaN(g.maxAccuracyDropPoints())
        || !Double.isNaN(g.minTop1Agreement());
  }
}
