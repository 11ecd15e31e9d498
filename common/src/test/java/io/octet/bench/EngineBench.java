package io.octet.bench;

import ai.onnxruntime.OrtSession;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.calib.QuantType;
import io.octet.cpu.Target;
import io.octet.cpu.WeightEncoding;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.engine.LocalEngine;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.testing.DigitsData;
import io.octet.testing.MiniLmData;
import io.octet.validate.Latency;
import io.octet.validate.Pooling;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The engine benchmark (issue 2): real MiniLM on Europarl and the digits CNN, every mode and
 * calibration method, fidelity and speed against FP32 measured in the same run, written to a
 * Markdown table. Run with {@code bench/engine} (see its header for the parameters).
 */
public final class EngineBench {
  private static final int THREADS = 2;

  private final StringBuilder md = new StringBuilder();

  private EngineBench() {}

  /** One measured row. */
  record Row(
      String model,
      String variant,
      double meanCos,
      double minCos,
      double sqnr,
      double acc,
      double speedup,
      long bytes,
      double seconds) {}

  /**
   * Runs the benchmark.
   *
   * @param args [calibration passages, validation passages, output file]
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int nCal = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int nVal = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    Path out = Path.of(args.length > 2 ? args[2] : "target/engine-bench.md");
    new EngineBench().run(nCal, nVal, out);
  }

  private void run(int nCal, int nVal, Path out) throws Exception {
    List<Row> rows = new ArrayList<>();
    rows.addAll(miniLm(nCal, nVal));
    rows.addAll(digits());
    md.append(
        String.format(
            Locale.ROOT,
            "Measured %s on %d cores (%s; CPU flags `%s`), ONNX Runtime %s, %d intra-op threads for"
                + " FP32 and INT8 alike; INT8 rows use the default target (portable, saturation-aware"
                + " weights) unless they say otherwise;"
                + " speedup = FP32 ms/row ÷ variant ms/row, both timed alternately in the same process"
                + " (median of 5 rounds over the same batches, each round at least 200 ms).%n%n",
            LocalDate.now(),
            Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.arch"),
            String.join(" ", io.octet.cpu.CpuFeatures.detect().flags()),
            OrtRuntime.version(),
            THREADS));
    md.append(
        "| model | variant | mean cos | min cos | SQNR dB | top-1 acc | speedup vs FP32 | size MB | quantize s |\n");
    md.append("|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %.2f× | %.1f | %s |%n",
              r.model(),
              r.variant(),
              f4(r.meanCos()),
              f4(r.minCos()),
              f1(r.sqnr()),
              Double.isNaN(r.acc()) ? "–" : String.format(Locale.ROOT, "%.2f %%", 100 * r.acc()),
              r.speedup(),
              r.bytes() / 1e6,
              Double.isNaN(r.seconds()) ? "–" : String.format(Locale.ROOT, "%.1f", r.seconds())));
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md.toString());
    System.out.println(md);
    System.out.println("Wrote " + out.toAbsolutePath());
  }

  private List<Row> miniLm(int nCal, int nVal) throws Exception {
    OnnxModel fp32 = OnnxModelIO.read(MiniLmData.fp32Model());
    List<Sample> cal = MiniLmData.tokenize(MiniLmData.passages(0, nCal), "c", 128);
    List<Sample> val = MiniLmData.tokenize(MiniLmData.passages(10000, nVal), "v", 128);
    md.append(
        String.format(
            Locale.ROOT,
            "all-MiniLM-L6-v2: calibrated on %d Europarl passages (documents 0..), validated on %d other"
                + " passages (from document 10000), cosine of mask-aware mean-pooled sentence embeddings to"
                + " FP32; variable lengths up to 128 tokens, no padding.%n",
            cal.size(),
            val.size()));
    ValidationOptions vo = new ValidationOptions("", Pooling.MEAN, "attention_mask", 5);
    List<InputBatch> lat = batches(val.subList(0, Math.min(128, val.size())));
    List<Row> rows = new ArrayList<>();
    try {
      rows.add(
          measure("all-MiniLM-L6-v2", "FP32 (reference)", fp32, fp32, val, vo, lat, Double.NaN));
      OnnxModel ortQ = OnnxModelIO.read(MiniLmData.ortInt8Model());
      rows.add(
          measure(
              "all-MiniLM-L6-v2",
              "ONNX Runtime's own dynamic INT8 (-q jar)",
              fp32,
              ortQ,
              val,
              vo,
              lat,
              Double.NaN));
      QuantOptions base = QuantOptions.defaults();
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet dynamic INT8, per-channel, saturation-aware weights (default)",
              fp32,
              base.withMode(QuantMode.DYNAMIC),
              cal,
              val,
              vo,
              lat));
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet dynamic INT8, per-channel, full-range weights (target vnni)",
              fp32,
              base.withMode(QuantMode.DYNAMIC).toBuilder()
                  .target(Target.VNNI, WeightEncoding.FULL_RANGE)
                  .build(),
              cal,
              val,
              vo,
              lat));
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet dynamic INT8, per-channel, 7-bit weights (reduce-range)",
              fp32,
              base.withMode(QuantMode.DYNAMIC).toBuilder()
                  .target(Target.PORTABLE, WeightEncoding.REDUCE_RANGE)
                  .build(),
              cal,
              val,
              vo,
              lat));
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet dynamic INT8, per-channel, 8-bit embeddings",
              fp32,
              base.withMode(QuantMode.DYNAMIC).withQuantizeEmbeddings(true),
              cal,
              val,
              vo,
              lat));
      for (CalibrationMethod m : CalibrationMethod.values()) {
        rows.add(
            variant(
                "all-MiniLM-L6-v2",
                "Octet static QDQ, MatMul only, u8/s8, " + m.configName(),
                fp32,
                base.withOpTypes(List.of("MatMul")).withMethod(m),
                cal,
                val,
                vo,
                lat));
      }
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet static QDQ, MatMul only, mse, 8-bit embeddings",
              fp32,
              base.withOpTypes(List.of("MatMul"))
                  .withMethod(CalibrationMethod.MSE)
                  .withQuantizeEmbeddings(true),
              cal,
              val,
              vo,
              lat));
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet static QDQ, default op set (+Add/Mul), percentile",
              fp32,
              base,
              cal,
              val,
              vo,
              lat));
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet static QDQ, MatMul only, s8/s8 symmetric, mse",
              fp32,
              base.withOpTypes(List.of("MatMul"))
                  .withMethod(CalibrationMethod.MSE)
                  .withActivations(QuantType.INT8, true),
              cal,
              val,
              vo,
              lat));
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet fp16",
              fp32,
              base.withMode(QuantMode.FP16),
              cal,
              val,
              vo,
              lat));
      rows.add(
          variant(
              "all-MiniLM-L6-v2",
              "Octet weight-only int4 (MatMulNBits, block 32)",
              fp32,
              base.withMode(QuantMode.WEIGHT_ONLY_INT4),
              cal,
              val,
              vo,
              lat));
    } finally {
      lat.forEach(InputBatch::close);
    }
    return rows;
  }

  private List<Row> digits() throws Exception {
    OnnxModel fp32 = OnnxModelIO.read(DigitsData.model());
    List<Sample> cal = DigitsData.rows("calib");
    List<Sample> test = DigitsData.rows("test");
    md.append(
        String.format(
            Locale.ROOT,
            "%nDigits CNN (models/digits-cnn): calibrated on its %d calibration images, top-1 on %d held-out test images.%n%n",
            cal.size(),
            test.size()));
    ValidationOptions vo = new ValidationOptions("", Pooling.NONE, "", 3);
    List<InputBatch> lat = batches(test);
    List<Row> rows = new ArrayList<>();
    try {
      rows.add(measure("digits CNN", "FP32 (reference)", fp32, fp32, test, vo, lat, Double.NaN));
      QuantOptions base = QuantOptions.defaults();
      for (CalibrationMethod m : CalibrationMethod.values()) {
        rows.add(
            variant(
                "digits CNN",
                "Octet static QDQ, default op set, " + m.configName(),
                fp32,
                base.withMethod(m),
                cal,
                test,
                vo,
                lat));
      }
      rows.add(
          variant(
              "digits CNN",
              "Octet dynamic INT8",
              fp32,
              base.withMode(QuantMode.DYNAMIC),
              cal,
              test,
              vo,
              lat));
    } finally {
      lat.forEach(InputBatch::close);
    }
    return rows;
  }

  private Row variant(
      String model,
      String name,
      OnnxModel fp32,
      QuantOptions o,
      List<Sample> cal,
      List<Sample> val,
      ValidationOptions vo,
      List<InputBatch> lat)
      throws Exception {
    System.out.println("== " + model + ": " + name);
    long t0 = System.nanoTime();
    Quantizer.Prepared prep = null;
    CalibrationTable table = null;
    if (o.mode() == QuantMode.STATIC) {
      prep = Quantizer.prepare(fp32, o);
      table = LocalEngine.calibrate(prep, cal, 32, 4096, THREADS);
    }
    OnnxModel q = Quantizer.quantize(fp32, o, prep, table, Map.of());
    double secs = (System.nanoTime() - t0) / 1e9;
    return measure(model, name, fp32, q, val, vo, lat, secs);
  }

  private Row measure(
      String model,
      String name,
      OnnxModel fp32,
      OnnxModel q,
      List<Sample> val,
      ValidationOptions vo,
      List<InputBatch> lat,
      double secs)
      throws Exception {
    ValidationMetrics m = LocalEngine.validate(fp32, q, val, vo, 32, THREADS);
    Latency.Comparison c;
    var s = new OrtRuntime.SessionSettings(THREADS, true);
    try (OrtSession a = OrtRuntime.open(fp32, s);
        OrtSession b = OrtRuntime.open(q, s)) {
      c = Latency.compare(a, b, lat, 5);
    }
    Row r =
        new Row(
            model,
            name,
            m.meanCosine(),
            m.minCosine(),
            m.sqnrDb(),
            m.int8Accuracy(),
            c.speedup(),
            size(q),
            secs);
    System.out.println("   " + r);
    return r;
  }

  static long size(OnnxModel q) throws IOException {
    Path tmp = Files.createTempFile("octet-bench-", ".onnx");
    try {
      var files = OnnxModelIO.write(q, tmp, OnnxModelIO.WriteOptions.DEFAULT);
      long n = 0;
      for (Path f : files) {
        n += Files.size(f);
        if (!f.equals(tmp)) {
          Files.deleteIfExists(f);
        }
      }
      return n;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static List<InputBatch> batches(List<Sample> rows) {
    List<InputBatch> out = new ArrayList<>();
    for (List<Sample> b : Batching.byShape(rows, 32)) {
      out.add(InputBatch.of(b));
    }
    return out;
  }

  private static String f4(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.4f", v);
  }

  private static String f1(double v) {
    return Double.isInfinite(v)
        ? "∞"
        : Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f", v);
  }
}
