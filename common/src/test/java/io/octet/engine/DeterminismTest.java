package io.octet.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.calib.CalibrationTable;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.histogram.Histogram;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.testing.DigitsData;
import io.octet.testing.MiniLmData;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The assumption behind shape-bucketed batching: ONNX Runtime gives a row the same bits whether it
 * runs alone or with equal-shaped batch mates, so statistics do not depend on how data is split.
 */
class DeterminismTest {
  private static final OrtRuntime.SessionSettings SETTINGS =
      new OrtRuntime.SessionSettings(2, true);

  @Test
  void digitsCnnRowsGiveTheSameBitsAloneAndInABatch() throws OrtException {
    OnnxModel model = OnnxModelIO.read(DigitsData.model());
    List<Sample> rows = DigitsData.rows("test").subList(0, 96);
    assertAloneEqualsBatched(model, rows, 32);
  }

  @Test
  void miniLmRowsGiveTheSameBitsAloneAndInABatch() throws OrtException {
    OnnxModel model = OnnxModelIO.read(MiniLmData.fp32Model());
    List<Sample> all = MiniLmData.tokenize(MiniLmData.passages(2000, 300), "p", 512);
    // Lengths that at least four passages share (untruncated, so no padding at all).
    Map<String, List<Sample>> byShape = new LinkedHashMap<>();
    all.forEach(s -> byShape.computeIfAbsent(Batching.shapeKey(s), k -> new ArrayList<>()).add(s));
    List<Sample> rows = new ArrayList<>();
    List<List<Sample>> shared =
        byShape.values().stream()
            .filter(g -> g.size() >= 4 && g.get(0).inputs().get("input_ids").size() <= 128)
            .sorted(Comparator.comparingInt(g -> g.get(0).inputs().get("input_ids").size()))
            .toList();
    // A short, a middling and the longest shared length up to 128 tokens.
    for (List<Sample> g :
        List.of(shared.get(2), shared.get(shared.size() / 2), shared.get(shared.size() - 1))) {
      rows.addAll(g.subList(0, 4));
    }
    assertThat(rows).as("passages sharing a length").hasSize(12);
    System.out.printf(
        "MiniLM determinism over lengths %s%n",
        rows.stream().map(s -> s.inputs().get("input_ids").size()).distinct().toList());
    assertAloneEqualsBatched(model, rows, 4);
  }

  private static void assertAloneEqualsBatched(OnnxModel model, List<Sample> rows, int batch)
      throws OrtException {
    try (OrtSession s = OrtRuntime.open(model, SETTINGS)) {
      Map<String, int[]> batched = new LinkedHashMap<>();
      for (List<Sample> b : Batching.byShape(rows, batch)) {
        assertThat(b.size()).as("real batches").isGreaterThan(1);
        List<int[]> out = run(s, b);
        for (int i = 0; i < b.size(); i++) {
          batched.put(b.get(i).id(), out.get(i));
        }
      }
      for (Sample row : rows) {
        assertThat(run(s, List.of(row)).get(0))
            .as("%s: output bits of row %s alone vs in a batch", model.name(), row.id())
            .containsExactly(batched.get(row.id()));
      }
    }
  }

  /** Runs a batch and returns the first output's bits per row. */
  private static List<int[]> run(OrtSession s, List<Sample> rows) throws OrtException {
    try (InputBatch in = InputBatch.of(rows);
        OrtSession.Result r = s.run(in.tensorsFor(s.getInputNames()))) {
      FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
      int per = fb.remaining() / rows.size();
      List<int[]> out = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        int[] bits = new int[per];
        for (int k = 0; k < per; k++) {
          bits[k] = Float.floatToRawIntBits(fb.get(i * per + k));
        }
        out.add(bits);
      }
      return out;
    }
  }

  @Test
  void miniLmHistogramsDoNotDependOnBatchSizeEvenForTensorsSharedByABatch() {
    // The default op set calibrates the position-embedding Gather output, [1, L, 384] for a whole
    // batch: it must count once per row, or batching (hence a memory budget) changes the table.
    Quantizer.Prepared prepared =
        Quantizer.prepare(OnnxModelIO.read(MiniLmData.fp32Model()), QuantOptions.defaults());
    List<Sample> rows = new ArrayList<>();
    for (Sample s : MiniLmData.tokenize(MiniLmData.passages(0, 60), "p", 12)) {
      if (s.inputs().get("input_ids").size() == 12) {
        rows.add(s);
      }
    }
    assertThat(rows).as("passages of at least 12 tokens").hasSizeGreaterThan(16);
    String batched = table(prepared, rows, 16);
    assertThat(table(prepared, rows, 1)).isEqualTo(batched);
    assertThat(table(prepared, rows, 5)).isEqualTo(batched);
  }

  private static String table(Quantizer.Prepared prepared, List<Sample> rows, int batch) {
    LocalEngine.Collected c = LocalEngine.collect(prepared, rows, batch, 4096, 2);
    return new String(
        Quantizer.calibrate("minilm", prepared.plan(), c.histograms(), c.rows()).toJson(),
        StandardCharsets.UTF_8);
  }

  @Test
  void calibratingInOneThreeOrEightGroupsGivesByteIdenticalTables() {
    OnnxModel fp32 = OnnxModelIO.read(DigitsData.model());
    QuantOptions opts = QuantOptions.defaults();
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
    List<Sample> rows = DigitsData.rows("calib");

    String one = table(prepared, rows, 1, 1);
    String three = table(prepared, rows, 3, 2);
    String eight = table(prepared, rows, 8, 3);

    assertThat(three).as("3 groups vs 1").isEqualTo(one);
    assertThat(eight).as("8 groups vs 1").isEqualTo(one);
    assertThat(one)
        .as("the table holds every calibrated tensor")
        .contains(prepared.plan().calibrationTensors());
  }

  /** Deals shuffled rows into groups, collects each alone, merges in shuffled order. */
  private static String table(
      Quantizer.Prepared prepared, List<Sample> rows, int groups, long seed) {
    Random r = new Random(seed);
    List<Sample> shuffled = new ArrayList<>(rows);
    Collections.shuffle(shuffled, r);
    List<List<Sample>> parts = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      parts.add(new ArrayList<>());
    }
    for (Sample s : shuffled) {
      parts.get(r.nextInt(groups)).add(s);
    }
    Collections.shuffle(parts, r);
    Map<String, Histogram> merged = new LinkedHashMap<>();
    long n = 0;
    for (List<Sample> part : parts) {
      LocalEngine.Collected c = LocalEngine.collect(prepared, part, 32, 4096, 2);
      n += c.rows();
      c.histograms().forEach((t, h) -> merged.merge(t, h, Histogram::merge));
    }
    CalibrationTable table =
        Quantizer.calibrate(prepared.fp32().name(), prepared.plan(), merged, n);
    assertThat(table.rows()).isEqualTo(rows.size());
    return new String(table.toJson(), StandardCharsets.UTF_8);
  }
}
