package io.octet.tune;

import com.typesafe.config.Config;
import java.io.Serializable;

/**
 * The {@code tuning} section of a model.
 *
 * @param enabled tune when the quantized model misses its gate
 * @param maxTrials most candidate models evaluated in the fallback search
 * @param sampleRows validation rows candidates are evaluated on (the final model is then validated
 *     on the whole validation set)
 * @param tryMethods try the other clipping methods, model-wide and per sensitive tensor
 * @param smoothQuant try SmoothQuant (migrate activation outliers into MatMul weights)
 * @param smoothQuantAlpha SmoothQuant's migration strength in [0, 1]
 * @param latencyRows rows used to time each candidate (0 = skip latency in trials)
 */
public record TuningOptions(
    boolean enabled,
    int maxTrials,
    int sampleRows,
    boolean tryMethods,
    boolean smoothQuant,
    double smoothQuantAlpha,
    int latencyRows)
    implements Serializable {

  /** Validates ranges. */
  public TuningOptions {
    if (maxTrials < 1 || sampleRows < 1 || latencyRows < 0) {
      throw new IllegalArgumentException(
          "tuning: max-trials and sample-rows must be >= 1, latency-rows >= 0");
    }
    if (!(smoothQuantAlpha >= 0 && smoothQuantAlpha <= 1)) {
      throw new IllegalArgumentException(
          "tuning.smoothquant.alpha must be in [0, 1], got " + smoothQuantAlpha);
    }
  }

  /**
   * Reads the section.
   *
   * @param c the tuning section, merged with defaults
   * @return the options
   */
  public static TuningOptions fromConfig(Config c) {
    return new TuningOptions(
        c.getBoolean("enabled"),
        c.getInt("max-trials"),
        c.getInt("sample-rows"),
        c.getBoolean("try-methods"),
        c.getBoolean("smoothquant.enabled"),
        c.getDouble("smoothquant.alpha"),
        c.getInt("latency-rows"));
  }
}
