package io.octet.jobs.bench;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.config.InputBinding;
import io.octet.data.Batching;
import io.octet.data.ElemType;
import io.octet.data.Sample;
import io.octet.jobs.calibrate.CalibrationTask;
import io.octet.jobs.calibrate.FootprintProbe;
import io.octet.jobs.calibrate.PartialStats;
import io.octet.jobs.data.Datasets;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.demo.DemoData;
import io.octet.jobs.spark.BatchMemory;
import io.octet.jobs.spark.ExecutorModels;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.memory.ActivationFootprint;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.runtime.ActivationCollector;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.util.Hashing;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Calibration benchmark (issue 3), in local Spark on this machine:
 *
 * <ul>
 *   <li>{@code throughput N}: calibration of all-MiniLM-L6-v2 over N Europarl passages vs plain
 *       ONNX Runtime inference of the FP32 model over the same rows, partitions, batching and
 *       threads, alternated in one process; prints rows/s of both and their ratio.
 *   <li>{@code memory N}: calibration over N passages in this JVM; prints peak heap, heap retained
 *       after a full GC, and peak RSS. Run once with N and once with 10×N (bench/calibration does).
 *   <li>{@code sessions N calibration|inference}: calibration with the default op set (240 tensors,
 *       the memory-heavy case) over N passages, batches of 32, no budget, with ONNX Runtime
 *       sessions opened either as calibration sessions (no arena, no memory pattern, basic
 *       optimizations) or as inference sessions (arena, memory pattern, all optimizations); prints
 *       seconds and peak RSS. Run each in a fresh JVM.
 *   <li>{@code breakdown N}: where calibration's extra time goes, on the driver in one thread
 *       (batches of 32, MatMul inputs): plain FP32 inference; the calibration session's run with
 *       its extra outputs (closed unread); plus copying them out of ONNX Runtime; plus binning.
 *       Each step is timed over all N rows, the steps alternating, best of 3 rounds.
 * </ul>
 */
public final class CalibrationBench {
  private CalibrationBench() {}

  /**
   * Entry point.
   *
   * @param args mode and rows
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    int rows = Integer.parseInt(args[1]);
    // Arguments: mode rows [kind, for sessions] [work dir, last].
    int fixed = mode.equals("sessions") ? 3 : 2;
    if (args.length < fixed) {
      throw new IllegalArgumentException(
          "usage: throughput|memory N [DIR] | sessions N KIND [DIR]");
    }
    Path work = Path.of(args.length > fixed ? args[fixed] : "target/calibration-bench");
    SparkSession spark = BenchSpark.local();
    Setup s = setUp(spark, work, rows);
    if (mode.equals("throughput")) {
      throughput(spark, s, rows);
    } else if (mode.equals("breakdown")) {
      breakdown(spark, work, s, rows);
    } else if (mode.equals("sessions")) {
      sessions(spark, work, s, rows, args[2]);
    } else {
      memory(spark, s, rows);
    }
    spark.stop();
  }

  /** Data, model and the calibration task, prepared once. */
  record Setup(Path data, CalibrationTask task, Plain plain) {}

  private static Setup setUp(SparkSession spark, Path work, int rows) throws Exception {
    Path dir = work.resolve("rows-" + rows);
    Path data = dir.resolve("data");
    if (!Files.exists(data)) {
      Files.createDirectories(dir);
      List<String> source = DemoData.passages(0, rows);
      List<String> passages = new ArrayList<>();
      // Europarl has 17,597 documents; beyond that, passages repeat (the row count is what the
      // memory figure is about).
      for (int i = 0; i < rows; i++) {
        passages.add(source.get(i % source.size()));
      }
      DemoData.writeText(spark, tokenizer(work), passages, "r", data);
    }
    Path fp32File = work.resolve("all-minilm-l6-v2.onnx");
    if (!Files.exists(fp32File)) {
      DemoData.copyResource("/all-minilm-l6-v2.onnx", fp32File);
    }
    OnnxModel fp32 = OnnxModelIO.read(fp32File);
    Quantizer.Prepared prepared =
        Quantizer.prepare(fp32, QuantOptions.defaults().withOpTypes(List.of("MatMul")));
    Path aug = work.resolve("calibration-model.onnx");
    OnnxModelIO.write(prepared.augmented().model(), aug, OnnxModelIO.WriteOptions.DEFAULT);
    HadoopObjectStore store =
        new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of());
    Dataset<Row> ds = Datasets.read(spark, "minilm", data.toUri().toString(), 0, null);
    List<InputBinding> b =
        List.of(
            new InputBinding("input_ids", "input_ids", ElemType.INT64, new long[] {-1}),
            new InputBinding("attention_mask", "attention_mask", ElemType.INT64, new long[] {-1}),
            new InputBinding("token_type_ids", "token_type_ids", ElemType.INT64, new long[] {-1}));
    RowDecoder decoder = RowDecoder.create("minilm", "bench", ds.schema(), b, null, null);
    // Batches as the pipeline sizes them: calibration.batch-memory (default 64m; 0 = rows only)
    // caps what one batch returns; -Dbench.batch-memory=0 measures batches of 32 rows.
    long batchMemory = Long.getLong("bench.batch-memory", 64L << 20);
    BatchMemory memory = BatchMemory.unbounded(prepared.augmented().outputFor().keySet());
    if (batchMemory > 0) {
      FootprintProbe.Scan scan = FootprintProbe.scan(Datasets.internalRows(ds, 2), decoder);
      try (OrtSession probe =
          OrtRuntime.open(
              prepared.augmented().model(), OrtRuntime.SessionSettings.calibration(1))) {
        ActivationFootprint footprint =
            FootprintProbe.probe(probe, scan, decoder, prepared.augmented().outputFor(), "minilm");
        memory = new BatchMemory(footprint, batchMemory, Long.MAX_VALUE / 4, "bench");
      }
    }
    CalibrationTask task =
        new CalibrationTask(
            store,
            aug.toUri().toString(),
            Hashing.sha256(Files.readAllBytes(aug)),
            List.of(),
            "minilm",
            decoder,
            prepared.augmented().outputFor(),
            4096,
            32,
            memory);
    // Plain inference at the batch size that runs it fastest here (-Dbench.plain-batch).
    Plain plain =
        new Plain(
            store,
            fp32File.toUri().toString(),
            Hashing.sha256(Files.readAllBytes(fp32File)),
            decoder,
            Integer.getInteger("bench.plain-batch", 32));
    return new Setup(data, task, plain);
  }

  private static Path tokenizer(Path work) throws java.io.IOException {
    Path t = work.resolve("all-minilm-l6-v2-tokenizer.json");
    return Files.exists(t) ? t : DemoData.copyResource("/all-minilm-l6-v2-tokenizer.json", t);
  }

  /** Plain FP32 inference over a partition, with the same decoding, batching and session cache. */
  record Plain(HadoopObjectStore store, String uri, String sha, RowDecoder decoder, int batch)
      implements FlatMapFunction<Iterator<InternalRow>, Long>, Serializable {
    @Override
    public Iterator<Long> call(Iterator<InternalRow> rows) throws OrtException {
      TaskContext tc = TaskContext.get();
      try (ExecutorModels.Lease lease =
          ExecutorModels.lease(store, uri, sha, List.of(), Math.max(1, tc.cpus()))) {
        OrtSession s = lease.session();
        Batching.Streamer streamer = new Batching.Streamer(batch, 64);
        long n = 0;
        long i = 0;
        while (rows.hasNext()) {
          List<Sample> full = streamer.add(decoder.decode(rows.next(), "r" + i++));
          if (!full.isEmpty()) {
            n += run(s, full);
          }
        }
        for (List<Sample> b : streamer.flush()) {
          n += run(s, b);
        }
        return List.of(n).iterator();
      }
    }

    private static long run(OrtSession s, List<Sample> batch) throws OrtException {
      try (InputBatch in = InputBatch.of(batch);
          OrtSession.Result r = s.run(in.tensorsFor(s.getInputNames()))) {
        return r.size() > 0 ? batch.size() : 0;
      }
    }
  }

  private static void throughput(SparkSession spark, Setup s, int rows) {
    Dataset<Row> ds = Datasets.read(spark, "minilm", s.data().toUri().toString(), 0, null).cache();
    ds.count();
    double[] plain = new double[3];
    double[] calib = new double[3];
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime();
      long n = Datasets.internalRows(ds, 2).mapPartitions(s.plain()).reduce(Long::sum);
      plain[round] = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      PartialStats p =
          Datasets.internalRows(ds, 2).mapPartitions(s.task()).treeReduce(PartialStats::merge, 2);
      calib[round] = (System.nanoTime() - t0) / 1e9;
      if (n != rows || p.rows() != rows) {
        throw new IllegalStateException("Row counts differ: " + n + " / " + p.rows());
      }
    }
    // Round 0 warms up sessions and JIT; report the better of the two measured rounds each.
    double tp = Math.min(plain[1], plain[2]);
    double tc = Math.min(calib[1], calib[2]);
    System.out.printf(
        Locale.ROOT,
        "RESULT throughput rows=%d plain_s=%.2f calibration_s=%.2f plain_rows_per_s=%.1f"
            + " calibration_rows_per_s=%.1f ratio=%.3f peak_rss_mb=%.1f%n",
        rows,
        tp,
        tc,
        rows / tp,
        rows / tc,
        tp / tc,
        vmHwmKb() / 1e3);
  }

  /** Calibration over a partition with a chosen kind of session, batches of up to 32 rows. */
  record Collect(
      HadoopObjectStore store,
      String uri,
      String sha,
      RowDecoder decoder,
      Map<String, String> outputFor,
      String kind)
      implements FlatMapFunction<Iterator<InternalRow>, Long>, Serializable {
    @Override
    public Iterator<Long> call(Iterator<InternalRow> rows) {
      int threads = Math.max(1, TaskContext.get().cpus());
      OrtRuntime.SessionSettings settings =
          switch (kind) {
            case "calibration" -> OrtRuntime.SessionSettings.calibration(threads);
            default -> new OrtRuntime.SessionSettings(threads, true);
          };
      try (ExecutorModels.Lease lease =
          ExecutorModels.lease(store, uri, sha, List.of(), settings)) {
        ActivationCollector c = new ActivationCollector(lease.session(), "minilm", outputFor, 4096);
        Batching.Streamer streamer = new Batching.Streamer(32, 64);
        long i = 0;
        while (rows.hasNext()) {
          List<Sample> full = streamer.add(decoder.decode(rows.next(), "r" + i++));
          if (!full.isEmpty()) {
            observe(c, full);
          }
        }
        for (List<Sample> b : streamer.flush()) {
          observe(c, b);
        }
        return List.of(c.rows()).iterator();
      }
    }

    private static void observe(ActivationCollector c, List<Sample> batch) {
      try (InputBatch in = InputBatch.of(batch)) {
        c.observe(in);
      }
    }
  }

  private static void sessions(SparkSession spark, Path work, Setup s, int rows, String kind)
      throws Exception {
    if (!List.of("calibration", "inference").contains(kind)) {
      throw new IllegalArgumentException("calibration|inference, got " + kind);
    }
    OnnxModel fp32 = OnnxModelIO.read(work.resolve("all-minilm-l6-v2.onnx"));
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, QuantOptions.defaults());
    Path aug = work.resolve("calibration-model-default-ops.onnx");
    OnnxModelIO.write(prepared.augmented().model(), aug, OnnxModelIO.WriteOptions.DEFAULT);
    Dataset<Row> ds = Datasets.read(spark, "minilm", s.data().toUri().toString(), 0, null);
    Collect task =
        new Collect(
            new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of()),
            aug.toUri().toString(),
            Hashing.sha256(Files.readAllBytes(aug)),
            s.plain().decoder(),
            prepared.augmented().outputFor(),
            kind);
    long t0 = System.nanoTime();
    long n = Datasets.internalRows(ds, 2).mapPartitions(task).reduce(Long::sum);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "RESULT sessions kind=%s rows=%d tensors=%d seconds=%.1f peak_rss_mb=%.1f%n",
        kind,
        n,
        prepared.augmented().outputFor().size(),
        secs,
        vmHwmKb() / 1e3);
  }

  private static void breakdown(SparkSession spark, Path work, Setup s, int rows) throws Exception {
    Dataset<Row> ds = Datasets.read(spark, "minilm", s.data().toUri().toString(), 0, null);
    List<InternalRow> raw =
        ds.queryExecution().toRdd().toJavaRDD().map(InternalRow::copy).collect();
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      samples.add(s.plain().decoder().decode(raw.get(i), "r" + i));
    }
    List<List<Sample>> batches = Batching.byShape(samples, 32);
    Quantizer.Prepared prepared =
        Quantizer.prepare(
            OnnxModelIO.read(work.resolve("all-minilm-l6-v2.onnx")),
            QuantOptions.defaults().withOpTypes(List.of("MatMul")));
    Map<String, String> outputFor = prepared.augmented().outputFor();
    String[] steps = {"plain", "run", "copy", "bin"};
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
    long values = 0;
    try (OrtSession plain =
            OrtRuntime.open(
                work.resolve("all-minilm-l6-v2.onnx"), new OrtRuntime.SessionSettings(1, true));
        OrtSession aug =
            OrtRuntime.open(
                prepared.augmented().model(), OrtRuntime.SessionSettings.calibration(1))) {
      java.util.Set<String> requested = new java.util.LinkedHashSet<>(outputFor.values());
      for (int round = 0; round < 4; round++) {
        for (int step = 0; step < steps.length; step++) {
          ActivationCollector c = new ActivationCollector(aug, "minilm", outputFor, 4096);
          long n = 0;
          long t0 = System.nanoTime();
          for (List<Sample> b : batches) {
            try (InputBatch in = InputBatch.of(b)) {
              if (step == 0) {
                try (OrtSession.Result r = plain.run(in.tensorsFor(plain.getInputNames()))) {
                  n += r.size();
                }
              } else if (step == 3) {
                c.observe(in);
              } else {
                try (OrtSession.Result r = aug.run(in.tensorsFor(aug.getInputNames()), requested)) {
                  for (var e : r) {
                    ai.onnxruntime.OnnxTensor t = (ai.onnxruntime.OnnxTensor) e.getValue();
                    n += step == 2 ? t.getFloatBuffer().remaining() : t.getInfo().getNumElements();
                  }
                }
              }
            }
          }
          double secs = (System.nanoTime() - t0) / 1e9;
          if (step == 1) {
            values = n;
          }
          if (round > 0) {
            best[step] = Math.min(best[step], secs);
          }
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "RESULT breakdown rows=%d tensors=%d values_per_row=%d plain_s=%.2f run_s=%.2f copy_s=%.2f"
            + " bin_s=%.2f  run/plain=%.3f copy=+%.1f%% bin=+%.1f%% plain/calibration=%.3f%n",
        samples.size(),
        outputFor.size(),
        values / Math.max(1, samples.size()),
        best[0],
        best[1],
        best[2],
        best[3],
        best[1] / best[0],
        100 * (best[2] - best[1]) / best[0],
        100 * (best[3] - best[2]) / best[0],
        best[0] / best[3]);
  }

  private static void memory(SparkSession spark, Setup s, int rows) {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      p.resetPeakUsage();
    }
    Dataset<Row> ds = Datasets.read(spark, "minilm", s.data().toUri().toString(), 0, null);
    long t0 = System.nanoTime();
    PartialStats p =
        Datasets.internalRows(ds, 2).mapPartitions(s.task()).treeReduce(PartialStats::merge, 2);
    double secs = (System.nanoTime() - t0) / 1e9;
    long peak = 0;
    for (MemoryPoolMXBean mp : ManagementFactory.getMemoryPoolMXBeans()) {
      if (mp.getType() == MemoryType.HEAP) {
        peak += mp.getPeakUsage().getUsed();
      }
    }
    System.gc();
    long retained = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    System.out.printf(
        Locale.ROOT,
        "RESULT memory rows=%d seen=%d seconds=%.1f peak_heap_mb=%.1f retained_heap_mb=%.1f"
            + " peak_rss_mb=%.1f%n",
        rows,
        p.rows(),
        secs,
        peak / 1e6,
        retained / 1e6,
        vmHwmKb() / 1e3);
  }

  private static long vmHwmKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return -1;
  }
}
