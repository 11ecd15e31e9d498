package io.octet.tune;

import io.octet.validate.Gate;
import io.octet.validate.ValidationMetrics;

/**
 * The number the tuner maximizes, taken from the gate: the first fidelity threshold it sets
 * (accuracy drop, mean cosine, minimum cosine, SQNR, top-1 agreement), mean cosine otherwise.
 */
public enum Objective {
  /** Negative accuracy drop in points (higher is better). */
  ACCURACY,
  /** Mean cosine similarity to FP32. */
  MEAN_COSINE,
  /** Worst row's cosine similarity. */
  MIN_COSINE,
  /** SQNR in dB. */
  SQNR,
  /** Share of rows with FP32's argmax. */
  TOP1;

  /**
   * Picks the objective a gate asks for.
   *
   * @param g the gate
   * @return the objective
   */
  public static Objective of(Gate g) {
    if (!Double.isNaN(g.maxAccuracyDropPoints())) {
      return ACCURACY;
    }
    if (!Double.isNaN(g.minMeanCosine())) {
      return MEAN_COSINE;
    }
    if (!Double.isNaN(g.minCosine())) {
      return MIN_COSINE;
    }
    if (!Double.isNaN(g.minSqnrDb())) {
      return SQNR;
    }
    if (!Double.isNaN(g.minTop1Agreement())) {
      return TOP1;
    }
    return MEAN_COSINE;
  }

  /**
   * Reads the objective from metrics.
   *
   * @param m the metrics
   * @return the value (higher is better)
   */
  public double value(ValidationMetrics m) {
    return switch (this) {
      case ACCURACY -> -m.accuracyDropPoints();
      case MEAN_COSINE -> m.meanCosine();
      case MIN_COSINE -> m.minCosine();
      case SQNR -> m.sqnrDb();
      case TOP1 -> m.top1Agreement();
    };
  }

  /**
   * The config name of the metric, for reports.
   *
   * @return e.g. "mean-cosine"
   */
  public String label() {
    return switch (this) {
      case ACCURACY -> "-accuracy-drop-points";
      case MEAN_COSINE -> "mean-cosine";
      case MIN_COSINE -> "min-cosine";
      case SQNR -> "sqnr-db";
      case TOP1 -> "top1-agreement";
    };
  }
}
