package io.octet.jobs.tune;

import ai.onnxruntime.OrtSession;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.spark.ExecutorModels;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.runtime.InputBatch;
import io.octet.tune.ChannelMax;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Per-channel activation maxima over one partition, for SmoothQuant; merged by element-wise maximum
 * (exact, order-free).
 *
 * @param store storage
 * @param modelUri the staged model exposing the activations
 * @param modelSha its hash
 * @param modelName the model's name
 * @param decoder row decoder
 * @param outputFor tensor → output name
 * @param batchSize rows per batch
 */
public record ChannelMaxTask(
    HadoopObjectStore store,
    String modelUri,
    String modelSha,
    String modelName,
    RowDecoder decoder,
    Map<String, String> outputFor,
    int batchSize)
    implements FlatMapFunction<Iterator<InternalRow>, ChannelMax>, Serializable {

  @Override
  public Iterator<ChannelMax> call(Iterator<InternalRow> rows) {
    TaskContext tc = TaskContext.get();
    int threads = tc == null ? 1 : Math.max(1, tc.cpus());
    try (ExecutorModels.Lease lease =
        ExecutorModels.lease(store, modelUri, modelSha, List.of(), threads)) {
      OrtSession s = lease.session();
      ChannelMax max = new ChannelMax();
      Batching.Streamer streamer = new Batching.Streamer(batchSize, 64);
      long i = 0;
      while (rows.hasNext()) {
        List<Sample> full = streamer.add(decoder.decode(rows.next(), "r" + i++));
        if (!full.isEmpty()) {
          observe(s, full, max);
        }
      }
      for (List<Sample> b : streamer.flush()) {
        observe(s, b, max);
      }
      return List.of(max).iterator();
    }
  }

  private void observe(OrtSession s, List<Sample> batch, ChannelMax max) {
    try (InputBatch in = InputBatch.of(batch)) {
      max.observe(s, in, outputFor, modelName);
    }
  }
}
