package io.octet.jobs.bench;

import io.octet.config.ConfigLoader;
import io.octet.config.RegistryConfig;
import io.octet.data.ElemType;
import io.octet.jobs.data.Datasets;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.demo.DemoData;
import io.octet.jobs.pipeline.ModelOutcome;
import io.octet.jobs.pipeline.RunPipeline;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.publish.RunIds;
import io.octet.util.Hashing;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Validation benchmark (issue 13), in local Spark with 2 task slots on this machine: the validate
 * stage of all-MiniLM-L6-v2 (static INT8 on its MatMuls, the demo's validation settings: per-node
 * SQNR and latency included) over N Europarl passages, against running the FP32 model once and the
 * INT8 model once over the same rows, partitions, batching and session cache. Prints both and their
 * ratio. The pipeline runs twice and the second (warm) validate stage is reported, as the plain
 * passes report their best warm round.
 *
 * <p>{@code validation N [DIR] [key=value ...]}: the keys are set on the model (e.g. {@code
 * validation.node-sqnr-rows=0}) to see what each part costs.
 */
public final class ValidationBench {
  private ValidationBench() {}

  /**
   * Entry point.
   *
   * @param args rows, then the work directory, then model settings
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int rows = Integer.parseInt(args[0]);
    Path work = Path.of(args.length > 1 ? args[1] : "target/validation-bench");
    List<String> sets = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      sets.add("models.minilm." + args[i]);
    }
    SparkSession spark = BenchSpark.local();
    Path calib = text(spark, work, "calibration-200", 0, 200);
    // Held-out rows: passages far from the calibration ones.
    Path val = text(spark, work, "validation-" + rows, 5000, rows);
    Path fp32 = work.resolve("all-minilm-l6-v2.onnx");
    if (!Files.exists(fp32)) {
      DemoData.copyResource("/all-minilm-l6-v2.onnx", fp32);
    }
    Path warehouse = work.resolve("warehouse");
    String registry =
        """
        warehouse = "%s"
        models {
          minilm {
            uri = "%s"
            quantization { mode = static, op-types = [MatMul], method = mse }
            calibration { dataset = "%s" }
            validation { dataset = "%s", pooling = mean, mask-input = attention_mask }
            id-column = id
            inputs = [
              { name = input_ids, column = input_ids, dtype = int64, shape = [-1] }
              { name = attention_mask, column = attention_mask, dtype = int64, shape = [-1] }
              { name = token_type_ids, column = token_type_ids, dtype = int64, shape = [-1] }
            ]
          }
        }
        """
            .formatted(warehouse.toUri(), fp32.toUri(), calib.toUri(), val.toUri());
    RegistryConfig reg =
        ConfigLoader.load(
            registry, "validation-bench.conf", sets, Map.of(), new java.util.Properties());
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of());
    PrintStream quiet =
        new PrintStream(java.io.OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    double validate = Double.NaN;
    ModelOutcome m = null;
    for (int round = 0; round < 2; round++) {
      RunPipeline.Result r =
          new RunPipeline(spark, reg, store, quiet).run(RunIds.next(), List.of(), true);
      m = r.models().get(0);
      if (!m.stages().containsKey("validate")) {
        throw new IllegalStateException("no validate stage: " + m.status() + " " + m.note());
      }
      validate = m.stages().get("validate").seconds();
    }
    Path int8 = warehouse.resolve(m.artifacts().get("model"));

    Dataset<Row> ds = Datasets.read(spark, "minilm", val.toUri().toString(), 0, null).cache();
    ds.count();
    var b =
        List.of(
            new io.octet.config.InputBinding(
                "input_ids", "input_ids", ElemType.INT64, new long[] {-1}),
            new io.octet.config.InputBinding(
                "attention_mask", "attention_mask", ElemType.INT64, new long[] {-1}),
            new io.octet.config.InputBinding(
                "token_type_ids", "token_type_ids", ElemType.INT64, new long[] {-1}));
    RowDecoder decoder = RowDecoder.create("minilm", "bench", ds.schema(), b, null, null);
    int batch = reg.models().get("minilm").validation().batchSize();
    int partitions = Datasets.partitions(ds, 0, "validation.partitions", w -> {});
    CalibrationBench.Plain a =
        new CalibrationBench.Plain(
            store,
            fp32.toUri().toString(),
            Hashing.sha256(Files.readAllBytes(fp32)),
            decoder,
            batch);
    CalibrationBench.Plain q =
        new CalibrationBench.Plain(
            store,
            int8.toUri().toString(),
            Hashing.sha256(Files.readAllBytes(int8)),
            decoder,
            batch);
    double bestA = Double.MAX_VALUE;
    double bestQ = Double.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime();
      long n = Datasets.internalRows(ds, partitions).mapPartitions(a).reduce(Long::sum);
      double ta = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      long k = Datasets.internalRows(ds, partitions).mapPartitions(q).reduce(Long::sum);
      double tq = (System.nanoTime() - t0) / 1e9;
      if (n != rows || k != rows) {
        throw new IllegalStateException("Row counts differ: " + n + " / " + k);
      }
      if (round > 0) {
        bestA = Math.min(bestA, ta);
        bestQ = Math.min(bestQ, tq);
      }
    }
    var vc = reg.models().get("minilm").validation();
    var latency = m.validation().latency();
    System.out.printf(
        Locale.ROOT,
        "RESULT validation rows=%d partitions=%d validate_s=%.2f fp32_s=%.2f int8_s=%.2f"
            + " ratio=%.2f speedup=%.2f (%s, %d) node_sqnr_rows=%d latency_rows=%d settings=%s%n",
        rows,
        partitions,
        validate,
        bestA,
        bestQ,
        validate / (bestA + bestQ),
        latency == null ? Double.NaN : latency.speedup(),
        latency == null ? "none" : latency.rounds() == vc.latencyRounds() ? "driver" : "tasks",
        latency == null ? 0 : latency.rounds(),
        vc.nodeSqnrRows(),
        vc.latencyRows(),
        sets.isEmpty() ? "defaults" : String.join(",", sets));
    spark.stop();
  }

  private static Path text(SparkSession spark, Path work, String name, int from, int rows)
      throws Exception {
    Path data = work.resolve(name);
    if (!Files.exists(data)) {
      Files.createDirectories(work);
      Path tokenizer = work.resolve("all-minilm-l6-v2-tokenizer.json");
      if (!Files.exists(tokenizer)) {
        DemoData.copyResource("/all-minilm-l6-v2-tokenizer.json", tokenizer);
      }
      DemoData.writeText(spark, tokenizer, DemoData.passages(from, rows), name, data);
    }
    return data;
  }
}
