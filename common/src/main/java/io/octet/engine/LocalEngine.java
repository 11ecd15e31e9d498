package io.octet.engine;

import ai.onnxruntime.OrtSession;
import io.octet.calib.CalibrationTable;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.histogram.Histogram;
import io.octet.histogram.HistogramAccumulator;
import io.octet.onnx.OnnxModel;
import io.octet.quant.Quantizer;
import io.octet.runtime.ActivationCollector;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.runtime.OrtRuntime.SessionSettings;
import io.octet.validate.MetricsAccumulator;
import io.octet.validate.OutputComparer;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Calibration and validation loops over in-memory rows, on one machine. */
public final class LocalEngine {
  private LocalEngine() {}

  /**
   * Runs the calibration model over the rows and returns the merged histograms.
   *
   * @param prepared the prepared model
   * @param rows calibration rows
   * @param batchSize rows per inference batch
   * @param numBins histogram bins
   * @param threads intra-op threads
   * @return histograms by tensor, and the row count
   */
  public static Collected collect(
      Quantizer.Prepared prepared, Iterable<Sample> rows, int batchSize, int numBins, int threads) {
    var aug = prepared.augmented();
    try (OrtSession s = OrtRuntime.open(aug.model(), SessionSettings.calibration(threads))) {
      ActivationCollector c =
          new ActivationCollector(s, prepared.fp32().name(), aug.outputFor(), numBins);
      for (List<Sample> b : Batching.byShape(rows, batchSize)) {
        try (InputBatch batch = InputBatch.of(b)) {
          c.observe(batch);
        }
      }
      Map<String, Histogram> out = new LinkedHashMap<>();
      for (Map.Entry<String, HistogramAccumulator> e : c.accumulators().entrySet()) {
        out.put(e.getKey(), e.getValue().snapshot());
      }
      return new Collected(out, c.rows());
    } catch (ai.onnxruntime.OrtException e) {
      throw io.octet.error.QuantErrors.runtime(prepared.fp32().name(), "closing a session", e);
    }
  }

  /**
   * Merged histograms and the rows they came from.
   *
   * @param histograms by tensor name
   * @param rows rows observed
   */
  public record Collected(Map<String, Histogram> histograms, long rows) {}

  /**
   * Collects histograms and turns them into a calibration table.
   *
   * @param prepared the prepared model
   * @param rows calibration rows
   * @param batchSize rows per batch
   * @param numBins histogram bins
   * @param threads intra-op threads
   * @return the table
   */
  public static CalibrationTable calibrate(
      Quantizer.Prepared prepared, Iterable<Sample> rows, int batchSize, int numBins, int threads) {
    Collected c = collect(prepared, rows, batchSize, numBins, threads);
    return Quantizer.calibrate(prepared.fp32().name(), prepared.plan(), c.histograms(), c.rows());
  }

  /**
   * Compares FP32 and INT8 outputs over the rows.
   *
   * @param fp32 the FP32 model
   * @param int8 the quantized model
   * @param rows validation rows
   * @param opts what to compare
   * @param batchSize rows per batch
   * @param threads intra-op threads
   * @return the metrics
   */
  public static ValidationMetrics validate(
      OnnxModel fp32,
      OnnxModel int8,
      Iterable<Sample> rows,
      ValidationOptions opts,
      int batchSize,
      int threads) {
    SessionSettings settings = new SessionSettings(threads, true);
    try (OrtSession a = OrtRuntime.open(fp32, settings);
        OrtSession b = OrtRuntime.open(int8, settings)) {
      OutputComparer cmp = new OutputComparer(a, b, fp32.name(), opts);
      MetricsAccumulator acc = new MetricsAccumulator(opts.topK());
      for (List<Sample> batch : Batching.byShape(rows, batchSize)) {
        try (InputBatch in = InputBatch.of(batch)) {
          cmp.compare(in, acc);
        }
      }
      return acc.result();
    } catch (ai.onnxruntime.OrtException e) {
      throw io.octet.error.QuantErrors.runtime(fp32.name(), "closing a session", e);
    }
  }
}
