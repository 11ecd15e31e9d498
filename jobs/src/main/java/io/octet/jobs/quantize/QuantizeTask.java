package io.octet.jobs.quantize;

import io.octet.calib.CalibrationTable;
import io.octet.jobs.spark.ExecutorModels;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.storage.Uris;
import io.octet.util.Hashing;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Quantizes one model inside a Spark task: fetches the FP32 model and the staged calibration table,
 * rewrites the graph, stages {@code model.int8.onnx}.
 *
 * @param store storage
 * @param modelName the model's name
 * @param fp32Uri the FP32 model
 * @param fp32Sha its hash
 * @param fp32DataFiles its external data files
 * @param opts quantization options
 * @param tableUri the staged calibration table (static mode), else null
 * @param outUri where the INT8 model goes
 * @param metadata provenance for metadata_props
 */
public record QuantizeTask(
    HadoopObjectStore store,
    String modelName,
    String fp32Uri,
    String fp32Sha,
    List<String> fp32DataFiles,
    QuantOptions opts,
    String tableUri,
    String outUri,
    Map<String, String> metadata)
    implements Serializable {

  /**
   * What the task produced.
   *
   * @param sha256 hash of the INT8 model file
   * @param bytes size of the INT8 model (with external data)
   * @param dataFiles external data files written next to it
   */
  public record Outcome(String sha256, long bytes, List<String> dataFiles)
      implements Serializable {}

  /**
   * Runs the task.
   *
   * @return the outcome
   */
  public Outcome run() {
    Path local = ExecutorModels.fetch(store, fp32Uri, fp32Sha, fp32DataFiles);
    OnnxModel fp32 = OnnxModelIO.read(local);
    fp32 = new OnnxModel(fp32.proto(), fp32.baseDir(), modelName);
    Quantizer.Prepared prepared = null;
    CalibrationTable table = null;
    if (opts.mode() == QuantMode.STATIC) {
      prepared = Quantizer.prepare(fp32, opts);
      table = CalibrationTable.fromJson(store.readBytes(tableUri), tableUri);
    } else if (opts.mode() == QuantMode.FP16) {
      prepared = null;
    }
    OnnxModel q = Quantizer.quantize(fp32, opts, prepared, table, metadata);
    try {
      Path dir = Files.createTempDirectory("octet-int8-");
      Path out = dir.resolve("model.int8.onnx");
      List<Path> files = OnnxModelIO.write(q, out, OnnxModelIO.WriteOptions.DEFAULT);
      long bytes = 0;
      for (int i = files.size() - 1; i >= 0; i--) {
        Path f = files.get(i);
        bytes += Files.size(f);
        store.upload(f, Uris.join(Uris.parent(outUri), f.getFileName().toString()));
      }
      String sha = Hashing.sha256(Files.newInputStream(out));
      List<String> data = files.stream().skip(1).map(p -> p.getFileName().toString()).toList();
      for (Path f : files) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
      return new Outcome(sha, bytes, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
