package io.octet.tune;

import io.octet.calib.CalibrationTable;
import io.octet.onnx.OnnxModel;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import java.util.Map;

/**
 * A recipe for a candidate model: a calibrated starting point and the options to quantize it with.
 * Distributed evaluators ship recipes, not models: rebuilding a candidate from the stored
 * histograms is cheap, moving tens of megabytes per candidate is not.
 *
 * @param base the starting point (its table is unused by dynamic and fp16 candidates)
 * @param options the quantization options
 */
public record Candidate(Tuner.Base base, QuantOptions options) {
  /**
   * Builds the quantized model.
   *
   * @param model the model's name, for messages
   * @return the candidate model
   */
  public OnnxModel build(String model) {
    return build(model, base.prepared(), base.table(), options);
  }

  /**
   * Builds a candidate from its parts (used where the parts were rebuilt from storage).
   *
   * @param model the model's name
   * @param prepared the prepared FP32 model
   * @param table its calibration table
   * @param options the quantization options
   * @return the candidate model
   */
  public static OnnxModel build(
      String model, Quantizer.Prepared prepared, CalibrationTable table, QuantOptions options) {
    if (options.mode() != io.octet.quant.QuantMode.STATIC) {
      // Dynamic and fp16 candidates (auto mode) need neither plan nor table.
      return Quantizer.quantize(prepared.fp32(), options, prepared, null, Map.of());
    }
    Quantizer.Prepared p = Quantizer.replan(prepared, options);
    CalibrationTable t = Quantizer.calibrate(model, p.plan(), table.histograms(), table.rows());
    return Quantizer.quantize(p.fp32(), options, p, t, Map.of());
  }
}
