package io.octet.bench;

import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.cpu.CpuFeatures;
import io.octet.cpu.Int8Check;
import io.octet.cpu.Target;
import io.octet.cpu.WeightEncoding;
import io.octet.data.Sample;
import io.octet.engine.LocalEngine;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.testing.MiniLmData;
import io.octet.testing.PydocText;
import io.octet.util.Json;
import io.octet.validate.Latency;
import io.octet.validate.Pooling;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Weight encodings side by side (issue 11): MiniLM quantized with full-range, 7-bit and
 * saturation-aware int8 weights, beside ONNX Runtime's published INT8 ({@code -q} jar), scored
 * against FP32 on held-out text of another domain than the calibration text (calibration: Europarl
 * debates; held-out: paragraphs of Python's reference documentation, read from the local Python
 * install's {@code pydoc_data}).
 *
 * <p>Three phases, so that fidelity can also be measured on an emulated AVX2-only CPU where timing
 * means nothing:
 *
 * <ul>
 *   <li>{@code build DIR CAL VAL}: quantizes every variant into DIR, scores fidelity and speed on
 *       this CPU, writes DIR/native.json;
 *   <li>{@code score DIR VAL NAME [IDS]}: scores the saved variants' fidelity only (all, or the
 *       comma-separated IDS), writes DIR/NAME.json (run it in a JVM under {@code qemu-x86_64 -cpu
 *       Haswell});
 *   <li>{@code table DIR OUT.md}: merges the JSON files into the Markdown table.
 * </ul>
 */
public final class TargetBench {
  private static final int THREADS = 2;

  private TargetBench() {}

  /** A variant: how it is made. */
  record Variant(String id, String label, QuantOptions options) {}

  /**
   * Runs a phase.
   *
   * @param args see the class comment
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    switch (args[0]) {
      case "build" -> build(dir, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      case "score" ->
          score(dir, Integer.parseInt(args[2]), args[3], args.length > 4 ? args[4] : "");
      case "table" -> table(dir, Path.of(args[2]));
      case "race" ->
          race(dir, args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]));
      case "weights-only" -> weightsOnly(dir, Integer.parseInt(args[2]));
      default -> throw new IllegalArgumentException("phase: build | score | table");
    }
  }

  static List<Variant> variants() {
    QuantOptions base = QuantOptions.defaults();
    QuantOptions demo = base.withOpTypes(List.of("MatMul")).withMethod(CalibrationMethod.MSE);
    List<Variant> out = new ArrayList<>();
    Map<String, QuantOptions> recipes = new LinkedHashMap<>();
    recipes.put(
        "dynamic, 8-bit embeddings", base.withMode(QuantMode.DYNAMIC).withQuantizeEmbeddings(true));
    recipes.put("static MatMul mse", demo);
    recipes.put("static MatMul mse, 8-bit embeddings", demo.withQuantizeEmbeddings(true));
    record Encoding(String suffix, String label, Target target, WeightEncoding encoding) {}
    List<Encoding> encodings =
        List.of(
            new Encoding(
                "full", "full-range (target vnni)", Target.VNNI, WeightEncoding.FULL_RANGE),
            new Encoding(
                "7bit", "7-bit (reduce-range)", Target.PORTABLE, WeightEncoding.REDUCE_RANGE),
            new Encoding(
                "sat",
                "saturation-aware (target portable, the default)",
                Target.PORTABLE,
                WeightEncoding.SATURATION_AWARE));
    int r = 0;
    for (Map.Entry<String, QuantOptions> e : recipes.entrySet()) {
      r++;
      for (Encoding enc : encodings) {
        out.add(
            new Variant(
                "r" + r + "-" + enc.suffix(),
                e.getKey() + ", " + enc.label(),
                e.getValue().toBuilder().target(enc.target(), enc.encoding()).build()));
      }
    }
    return out;
  }

  private static void build(Path dir, int nCal, int nVal) throws Exception {
    Files.createDirectories(dir);
    OnnxModel fp32 = OnnxModelIO.read(MiniLmData.fp32Model());
    List<Sample> cal = MiniLmData.tokenize(MiniLmData.passages(0, nCal), "c", 128);
    List<Sample> val = heldOut(nVal);
    ValidationOptions vo = new ValidationOptions("", Pooling.MEAN, "attention_mask", 5);
    List<InputBatch> lat = EngineBench.batches(val.subList(0, Math.min(128, val.size())));
    ObjectNode root = Json.object();
    root.put("cpu", CpuFeatures.detect().toString());
    root.put("onnxruntime", OrtRuntime.version());
    root.put("date", LocalDate.now().toString());
    root.put("calibration", cal.size() + " Europarl passages (documents 0..)");
    root.put("held-out", val.size() + " paragraphs of Python's reference documentation");
    ArrayNode rows = root.putArray("rows");
    OnnxModel ortQ = OnnxModelIO.read(MiniLmData.ortInt8Model());
    Files.copy(
        MiniLmData.ortInt8Model(),
        dir.resolve("ort-q.onnx"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    var s = new OrtRuntime.SessionSettings(THREADS, true);
    Map<String, CalibrationTable> tables = new LinkedHashMap<>();
    Map<String, Quantizer.Prepared> prepared = new LinkedHashMap<>();
    try (OrtSession fpSession = OrtRuntime.open(fp32, s);
        OrtSession ortSession = OrtRuntime.open(ortQ, s)) {
      rows.add(
          row(
              "ort-q",
              "ONNX Runtime's published INT8 (-q jar: dynamic, 7-bit weights, 8-bit embeddings)",
              fp32,
              ortQ,
              val,
              vo,
              lat,
              fpSession,
              ortSession));
      for (Variant v : variants()) {
        System.out.println("== " + v.label());
        QuantOptions o = v.options();
        Quantizer.Prepared p = null;
        CalibrationTable t = null;
        if (o.mode() == QuantMode.STATIC) {
          // The encoding does not change calibration: one table serves every encoding.
          String key = o.opTypes() + "/" + o.method();
          p = prepared.computeIfAbsent(key, k -> Quantizer.prepare(fp32, o));
          Quantizer.Prepared pp = p;
          t = tables.computeIfAbsent(key, k -> LocalEngine.calibrate(pp, cal, 32, 4096, THREADS));
        }
        OnnxModel q = Quantizer.quantize(fp32, o, p, t, Map.of());
        OnnxModelIO.write(q, dir.resolve(v.id() + ".onnx"), OnnxModelIO.WriteOptions.DEFAULT);
        OnnxModel saved = OnnxModelIO.read(dir.resolve(v.id() + ".onnx"));
        rows.add(row(v.id(), v.label(), fp32, saved, val, vo, lat, fpSession, ortSession));
      }
    } finally {
      lat.forEach(InputBatch::close);
    }
    Files.write(dir.resolve("native.json"), Json.bytes(root));
  }

  private static ObjectNode row(
      String id,
      String label,
      OnnxModel fp32,
      OnnxModel q,
      List<Sample> val,
      ValidationOptions vo,
      List<InputBatch> lat,
      OrtSession fpSession,
      OrtSession ortSession)
      throws Exception {
    ValidationMetrics m = LocalEngine.validate(fp32, q, val, vo, 32, THREADS);
    ObjectNode o = Json.object();
    o.put("id", id);
    o.put("label", label);
    o.put("mean-cosine", m.meanCosine());
    o.put("min-cosine", m.minCosine());
    Int8Check.Result check = Int8Check.check(q);
    o.put("saturable-nodes-on-avx2", check.saturable(Target.PORTABLE).size());
    o.put(
        "worst-pair-sum",
        check.nodes().stream().mapToInt(Int8Check.NodeFinding::worstPairSum).max().orElse(0));
    var s = new OrtRuntime.SessionSettings(THREADS, true);
    try (OrtSession b = OrtRuntime.open(q, s)) {
      Latency.Comparison vsFp32 = Latency.compare(fpSession, b, lat, 5);
      Latency.Comparison vsOrt = Latency.compare(ortSession, b, lat, 5);
      o.put("speedup-vs-fp32", vsFp32.speedup());
      o.put("speedup-vs-ort-q", vsOrt.speedup());
    }
    o.put("bytes", EngineBench.size(q));
    System.out.println("   " + o);
    return o;
  }

  private static void score(Path dir, int nVal, String name, String only) throws Exception {
    OnnxModel fp32 = OnnxModelIO.read(MiniLmData.fp32Model());
    List<Sample> val = heldOut(nVal);
    ValidationOptions vo = new ValidationOptions("", Pooling.MEAN, "attention_mask", 5);
    ObjectNode root = Json.object();
    root.put("cpu", CpuFeatures.detect().toString());
    root.put("held-out", val.size() + " paragraphs of Python's reference documentation");
    ArrayNode rows = root.putArray("rows");
    List<String> ids = new ArrayList<>(List.of("ort-q"));
    variants().forEach(v -> ids.add(v.id()));
    if (!only.isBlank()) {
      // Under emulation every model costs minutes: score a chosen few.
      ids.retainAll(List.of(only.split(",")));
    }
    for (String id : ids) {
      OnnxModel q = OnnxModelIO.read(dir.resolve(id + ".onnx"));
      ValidationMetrics m = LocalEngine.validate(fp32, q, val, vo, 32, THREADS);
      ObjectNode o = rows.addObject();
      o.put("id", id);
      o.put("mean-cosine", m.meanCosine());
      o.put("min-cosine", m.minCosine());
      System.out.println("   " + o);
    }
    Files.write(dir.resolve(name + ".json"), Json.bytes(root));
  }

  /**
   * Static MatMul mse with only the MatMuls that have a constant weight quantized (the attention
   * score and context MatMuls, activation by activation, stay FP32).
   */
  private static void weightsOnly(Path dir, int nCal) throws Exception {
    OnnxModel fp32 = OnnxModelIO.read(MiniLmData.fp32Model());
    var g = new io.octet.onnx.OnnxGraph(fp32.proto().getGraph());
    List<String> actByAct = new ArrayList<>();
    for (var n : g.nodes()) {
      if (n.getOpType().equals("MatMul")
          && !g.isConstant(n.getInput(0))
          && !g.isConstant(n.getInput(1))) {
        actByAct.add(n.getName());
      }
    }
    System.out.println(actByAct.size() + " activation-by-activation MatMuls stay FP32");
    QuantOptions o =
        QuantOptions.defaults()
            .withOpTypes(List.of("MatMul"))
            .withMethod(CalibrationMethod.MSE)
            .withExcludeNodes(actByAct);
    List<Sample> cal = MiniLmData.tokenize(MiniLmData.passages(0, nCal), "c", 128);
    Quantizer.Prepared p = Quantizer.prepare(fp32, o);
    CalibrationTable t = LocalEngine.calibrate(p, cal, 32, 4096, THREADS);
    OnnxModel q = Quantizer.quantize(fp32, o, p, t, Map.of());
    OnnxModelIO.write(q, dir.resolve("weights-only-sat.onnx"), OnnxModelIO.WriteOptions.DEFAULT);
    List<Sample> val = heldOut(400);
    ValidationMetrics m =
        LocalEngine.validate(
            fp32,
            q,
            val,
            new ValidationOptions("", Pooling.MEAN, "attention_mask", 5),
            32,
            THREADS);
    System.out.printf(
        Locale.ROOT, "weights-only: mean %.4f min %.4f%n", m.meanCosine(), m.minCosine());
  }

  /**
   * Head-to-head speed of two saved models on the held-out rows, one intra-op thread, alternating
   * rounds; reports the median of per-round ratios of wall time and of the calling thread's CPU
   * time (which a busy shared machine disturbs far less than wall time).
   */
  private static void race(Path dir, String a, String b, int rows, int rounds) throws Exception {
    List<Sample> val = heldOut(rows);
    List<InputBatch> batches = EngineBench.batches(val);
    var bean = java.lang.management.ManagementFactory.getThreadMXBean();
    var s = new OrtRuntime.SessionSettings(1, true);
    double[] wall = new double[rounds];
    double[] cpu = new double[rounds];
    try (OrtSession sa = OrtRuntime.open(dir.resolve(a + ".onnx"), s);
        OrtSession sb = OrtRuntime.open(dir.resolve(b + ".onnx"), s)) {
      for (InputBatch x : batches) { // warm-up
        sa.run(x.tensorsFor(sa.getInputNames())).close();
        sb.run(x.tensorsFor(sb.getInputNames())).close();
      }
      for (int r = 0; r < rounds; r++) {
        long[] ta = time(sa, batches, bean);
        long[] tb = time(sb, batches, bean);
        wall[r] = (double) ta[0] / tb[0];
        cpu[r] = (double) ta[1] / tb[1];
      }
    } finally {
      batches.forEach(InputBatch::close);
    }
    java.util.Arrays.sort(wall);
    java.util.Arrays.sort(cpu);
    System.out.printf(
        Locale.ROOT,
        "race %s vs %s on %s, %d rows, %d rounds, 1 thread: %s is %.3fx as fast by wall time"
            + " (median; range %.3f-%.3f), %.3fx by thread CPU time (range %.3f-%.3f)%n",
        b,
        a,
        CpuFeatures.detect(),
        val.size(),
        rounds,
        b,
        wall[rounds / 2],
        wall[0],
        wall[rounds - 1],
        cpu[rounds / 2],
        cpu[0],
        cpu[rounds - 1]);
  }

  private static long[] time(
      OrtSession s, List<InputBatch> batches, java.lang.management.ThreadMXBean bean)
      throws Exception {
    long w0 = System.nanoTime();
    long c0 = bean.getCurrentThreadCpuTime();
    for (InputBatch x : batches) {
      s.run(x.tensorsFor(s.getInputNames())).close();
    }
    return new long[] {System.nanoTime() - w0, bean.getCurrentThreadCpuTime() - c0};
  }

  private static void table(Path dir, Path out) throws IOException {
    JsonNode nat = Json.parse(Files.readAllBytes(dir.resolve("native.json")), "native.json");
    Path emuFile = dir.resolve("avx2-emulated.json");
    JsonNode emu =
        Files.exists(emuFile)
            ? Json.parse(Files.readAllBytes(emuFile), "avx2-emulated.json")
            : null;
    Map<String, JsonNode> emuRows = new LinkedHashMap<>();
    if (emu != null) {
      emu.path("rows").forEach(r -> emuRows.put(r.path("id").asText(), r));
    }
    // The same rows as the emulated run, scored natively: the two columns compare like for like.
    Path subFile = dir.resolve("native-subset.json");
    Map<String, JsonNode> subRows = new LinkedHashMap<>();
    if (Files.exists(subFile)) {
      Json.parse(Files.readAllBytes(subFile), "native-subset.json")
          .path("rows")
          .forEach(r -> subRows.put(r.path("id").asText(), r));
    }
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "all-MiniLM-L6-v2, measured %s with ONNX Runtime %s. Calibration: %s; held-out: %s"
                + " (another domain). Fidelity = cosine of mean-pooled sentence embeddings to FP32."
                + " Speed columns: ms/row ratios measured alternately in one process, %d threads,"
                + " on the native CPU only.%n%n"
                + "- native CPU flags: `%s`%n",
            nat.path("date").asText(),
            nat.path("onnxruntime").asText(),
            nat.path("calibration").asText(),
            nat.path("held-out").asText(),
            THREADS,
            nat.path("cpu").asText()));
    if (emu != null) {
      md.append(
          String.format(
              Locale.ROOT,
              "- AVX2 column: the same artifacts scored by the same ONNX Runtime in a JVM under"
                  + " `qemu-x86_64 -cpu Haswell` (CPUID says AVX2, no AVX-512, no VNNI, so ONNX"
                  + " Runtime dispatches its VPMADDUBSW kernels), on the first %s%n",
              emu.path("held-out").asText()));
    }
    md.append(
        "\n| variant | worst same-sign weight pair (bound 128) | mean / min cos, native |"
            + " mean / min cos, native, emulation's rows | mean / min cos, AVX2 (emulated) |"
            + " speed vs FP32 | speed vs ORT -q | size MB |\n");
    md.append("|---|---|---|---|---|---|---|---|\n");
    for (JsonNode r : nat.path("rows")) {
      JsonNode e = emuRows.get(r.path("id").asText());
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d%s | %.4f / %.4f | %s | %s | %.2f× | %.2f× | %.1f |%n",
              r.path("label").asText(),
              r.path("worst-pair-sum").asInt(),
              r.path("saturable-nodes-on-avx2").asInt() > 0
                  ? " (" + r.path("saturable-nodes-on-avx2").asInt() + " nodes saturable)"
                  : "",
              r.path("mean-cosine").asDouble(),
              r.path("min-cosine").asDouble(),
              cosines(subRows.get(r.path("id").asText())),
              e == null
                  ? "–"
                  : String.format(
                      Locale.ROOT,
                      "%.4f / %.4f",
                      e.path("mean-cosine").asDouble(),
                      e.path("min-cosine").asDouble()),
              r.path("speedup-vs-fp32").asDouble(),
              r.path("speedup-vs-ort-q").asDouble(),
              r.path("bytes").asLong() / 1e6));
    }
    Files.writeString(out, md.toString());
    System.out.println(md);
  }

  private static String cosines(JsonNode r) {
    return r == null
        ? "–"
        : String.format(
            Locale.ROOT,
            "%.4f / %.4f",
            r.path("mean-cosine").asDouble(),
            r.path("min-cosine").asDouble());
  }

  /** Held-out text of another domain: paragraphs of Python's reference documentation. */
  static List<Sample> heldOut(int n) {
    return MiniLmData.tokenize(PydocText.paragraphs(n), "h", 128);
  }
}
