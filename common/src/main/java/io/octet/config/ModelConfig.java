package io.octet.config;

import com.typesafe.config.Config;
import io.octet.quant.QuantOptions;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One model of the registry, with its sections merged over the registry's and Octet's defaults.
 *
 * @param name the model's name (its key in {@code models}); letters, digits, '.', '_', '-'
 * @param version the version label
 * @param uri the FP32 model's URI
 * @param inputs bindings from dataset columns to model inputs (empty = by name)
 * @param labelColumn the label column, or null
 * @param idColumn the id column, or null
 * @param quantization how to quantize
 * @param calibration calibration data and settings
 * @param validation validation data, comparison and gate
 * @param tuning accuracy-aware tuning
 * @param resolved the merged config subtree of this model (for hashing and reports)
 */
public record ModelConfig(
    String name,
    String version,
    String uri,
    List<InputBinding> inputs,
    String labelColumn,
    String idColumn,
    QuantOptions quantization,
    CalibrationConfig calibration,
    ValidationConfig validation,
    io.octet.tune.TuningOptions tuning,
    Config resolved) {

  /** Names become path segments in the warehouse: no separators, no "..". */
  static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /** Validates names and required fields. */
  public ModelConfig {
    if (!SAFE_NAME.matcher(name).matches() || name.contains("..")) {
      throw new IllegalArgumentException(
          "model name '"
              + name
              + "' is not allowed: use letters, digits, '.', '_' and '-' (it becomes a folder"
              + " name in the warehouse, so '/' and '..' are refused)");
    }
    if (!SAFE_NAME.matcher(version).matches() || version.contains("..")) {
      throw new IllegalArgumentException(
          "version '" + version + "' is not allowed: use letters, digits, '.', '_' and '-'");
    }
    inputs = List.copyOf(inputs);
  }

  /**
   * The {@code quantization.auto} section (checked when the registry is loaded).
   *
   * @return auto mode's options
   */
  public io.octet.tune.AutoOptions auto() {
    return io.octet.tune.AutoOptions.fromConfig(resolved.getConfig("quantization.auto"));
  }

  /**
   * Returns a copy that quantizes with other options (auto mode's chosen recipe); the resolved
   * config, which identifies what the user asked for, stays.
   *
   * @param q the options
   * @return the copy
   */
  public ModelConfig withQuantization(QuantOptions q) {
    return new ModelConfig(
        name,
        version,
        uri,
        inputs,
        labelColumn,
        idColumn,
        q,
        calibration,
        validation,
        tuning,
        resolved);
  }
}
