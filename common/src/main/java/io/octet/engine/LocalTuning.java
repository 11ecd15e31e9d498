package io.octet.engine;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.calib.CalibrationTable;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.error.QuantErrors;
import io.octet.onnx.OnnxModel;
import io.octet.quant.ModelAugmenter;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.tune.ChannelMax;
import io.octet.tune.SmoothQuant;
import io.octet.tune.Tuner;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/** Builds the tuner's SmoothQuant starting point on one machine. */
public final class LocalTuning {
  private LocalTuning() {}

  /**
   * Returns a supplier that, when asked, collects per-channel maxima on the calibration rows,
   * smooths the FP32 model and calibrates the smoothed model (a second pass over the rows).
   *
   * @param fp32 the FP32 model
   * @param opts quantization options
   * @param alpha SmoothQuant's α
   * @param calibration calibration rows
   * @param numBins histogram bins
   * @param threads intra-op threads
   * @return the supplier
   */
  public static Supplier<Tuner.Base> smoothQuant(
      OnnxModel fp32,
      QuantOptions opts,
      double alpha,
      List<Sample> calibration,
      int numBins,
      int threads) {
    return () -> {
      List<String> tensors = SmoothQuant.tensors(fp32, opts);
      ModelAugmenter.Augmented aug = ModelAugmenter.augment(fp32, tensors);
      ChannelMax max = new ChannelMax();
      try (OrtSession s =
          OrtRuntime.open(aug.model(), new OrtRuntime.SessionSettings(threads, true))) {
        for (List<Sample> b : Batching.byShape(calibration, 32)) {
          try (InputBatch in = InputBatch.of(b)) {
            max.observe(s, in, aug.outputFor(), fp32.name());
          }
        }
      } catch (OrtException e) {
        throw QuantErrors.runtime(fp32.name(), "closing a session", e);
      }
      OnnxModel smoothed = SmoothQuant.apply(fp32, max.maxima(), alpha, opts);
      Quantizer.Prepared p = Quantizer.prepare(smoothed, opts);
      CalibrationTable t = LocalEngine.calibrate(p, calibration, 32, numBins, threads);
      return new Tuner.Base(p, t, String.format(Locale.ROOT, "smoothquant alpha=%.2f", alpha));
    };
  }
}
