package io.octet.jobs.calibrate;

import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.histogram.Histogram;
import io.octet.histogram.HistogramAccumulator;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.spark.BatchMemory;
import io.octet.jobs.spark.ExecutorModels;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.memory.ActivationFootprint;
import io.octet.runtime.ActivationCollector;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime.SessionSettings;
import java.io.Serializable;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * What one calibration task does with its partition: decode rows, batch rows of equal shape, run
 * the calibration model (one cached session per executor JVM), and fold every calibrated tensor
 * into its histogram. Returns one {@link PartialStats}; memory is O(tensors × bins) on the heap.
 *
 * <p>Native memory is bounded by the budget: each batch gets as many rows as its estimated
 * footprint allows within one task's share (measured sizes correct the estimate as batches run),
 * and reserves that estimate in the JVM's memory pool before running, waiting while batches of
 * other tasks hold too much. Histograms do not depend on how rows are batched.
 *
 * @param store storage for downloading the calibration model
 * @param modelUri the staged calibration (augmented) model
 * @param modelSha its content hash
 * @param dataFiles its external data files
 * @param modelName the model's name, for errors
 * @param decoder row decoder
 * @param outputFor calibrated tensor → graph output
 * @param numBins histogram bins
 * @param batchSize the most rows per batch
 * @param memory the batch memory plan
 */
public record CalibrationTask(
    HadoopObjectStore store,
    String modelUri,
    String modelSha,
    List<String> dataFiles,
    String modelName,
    RowDecoder decoder,
    Map<String, String> outputFor,
    int numBins,
    int batchSize,
    BatchMemory memory)
    implements FlatMapFunction<Iterator<InternalRow>, PartialStats>, Serializable {

  @Override
  public Iterator<PartialStats> call(Iterator<InternalRow> rows) {
    TaskContext tc = TaskContext.get();
    int threads = tc == null ? 1 : Math.max(1, tc.cpus());
    String prefix = tc == null ? "p0-" : "p" + tc.partitionId() + "-";
    try (ExecutorModels.Lease lease =
        ExecutorModels.lease(
            store, modelUri, modelSha, dataFiles, SessionSettings.calibration(threads))) {
      // This task's copy: what its batches measure corrects its later estimates.
      ActivationFootprint footprint = memory.footprint().fresh();
      ActivationCollector collector =
          new ActivationCollector(lease.session(), modelName, outputFor, numBins);
      // Stream with bounded memory: a batch runs as soon as one shape has batchSize rows.
      Batching.Streamer streamer = new Batching.Streamer(batchSize, 64);
      long i = 0;
      while (rows.hasNext()) {
        Sample s = decoder.decode(rows.next(), prefix + i++);
        List<Sample> full = streamer.add(s);
        if (!full.isEmpty()) {
          run(collector, footprint, full);
        }
      }
      for (List<Sample> b : streamer.flush()) {
        run(collector, footprint, b);
      }
      Map<String, Histogram> out = new LinkedHashMap<>();
      for (Map.Entry<String, HistogramAccumulator> e : collector.accumulators().entrySet()) {
        out.put(e.getKey(), e.getValue().snapshot());
      }
      return List.of(new PartialStats(out, collector.rows())).iterator();
    }
  }

  private void run(ActivationCollector c, ActivationFootprint f, List<Sample> rowsOfOneShape) {
    memory.forEachBatch(
        rowsOfOneShape,
        f,
        outputFor.keySet(),
        1,
        modelName,
        "calibration",
        (batch, d) -> {
          try (InputBatch in = InputBatch.of(batch)) {
            c.observe(in, f, d);
          }
        });
  }
}
