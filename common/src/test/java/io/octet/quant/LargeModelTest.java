package io.octet.quant;

import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.engine.LocalEngine;
import io.octet.onnx.ExternalData;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.runtime.OrtRuntime;
import io.octet.testing.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model over 2 GB: a Gather table of 2,150,400,000 bytes in an external file (more than one Java
 * array can hold, so any attempt to load it onto the heap fails) beside a small MatMul that is
 * quantized statically. The INT8 model is written with its data streamed and run by ONNX Runtime.
 *
 * <p>The table is a sparse file with a few known rows, so creating it is instant; copying it into
 * the output writes the full 2.1 GB.
 */
@Tag("large")
class LargeModelTest {
  private static final int COLS = 64;
  private static final long ROWS = 8_400_000;
  private static final long[] PROBE_ROWS = {0, 4_200_001, ROWS - 1};

  @TempDir Path dir;

  @Test
  void staticQuantizationOfAModelOver2GbStreamsItsTable() throws Exception {
    long t0 = System.nanoTime();
    Path src = dir.resolve("src");
    Files.createDirectories(src);
    Path data = src.resolve("big.onnx.data");
    SplittableRandom r = new SplittableRandom(41);
    float[][] probe = new float[PROBE_ROWS.length][];
    try (FileChannel ch =
        FileChannel.open(data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int i = 0; i < PROBE_ROWS.length; i++) {
        probe[i] = TestModels.uniform(r, COLS, 3f);
        ByteBuffer b = ByteBuffer.allocate(COLS * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(probe[i]);
        ch.write(b, PROBE_ROWS[i] * COLS * 4);
      }
    }
    long tableBytes = ROWS * COLS * 4;
    assertThat(Files.size(data)).as("table file size").isEqualTo(tableBytes);
    assertThat(tableBytes).as("larger than any Java array").isGreaterThan(Integer.MAX_VALUE);
    Path srcModel = src.resolve("big.onnx");
    Files.write(srcModel, model(r).toByteArray());

    OnnxModel fp32 = OnnxModelIO.read(srcModel);
    QuantOptions opts = QuantOptions.defaults();
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
    System.out.printf("large model: prepared at %.1f s%n", (System.nanoTime() - t0) / 1e9);
    assertThat(prepared.plan().nodes())
        .extracting(QuantPlan.NodeQuant::nodeName)
        .containsExactly("mm");
    CalibrationTable table = LocalEngine.calibrate(prepared, calibrationRows(32), 8, 2048, 1);
    OnnxModel int8 = Quantizer.quantize(fp32, opts, prepared, table, Map.of());
    long tQuant = System.nanoTime();
    Path out = dir.resolve("out/big.int8.onnx");
    OnnxModelIO.write(int8, out, OnnxModelIO.WriteOptions.DEFAULT);
    long tWrite = System.nanoTime();

    TensorProto t =
        OnnxModelIO.read(out).proto().getGraph().getInitializerList().stream()
            .filter(i -> i.getName().equals("table"))
            .findFirst()
            .orElseThrow();
    ExternalData where = ExternalData.of(t, out.getParent(), "big.int8.onnx");
    assertThat(where.length()).as("table length in the output").isEqualTo(tableBytes);
    float[] x = TestModels.uniform(new SplittableRandom(43), 2 * COLS, 1f);
    float[] ids = new float[PROBE_ROWS.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = PROBE_ROWS[i];
    }
    Map<String, float[]> got = run(out, ids, x);
    long tRun = System.nanoTime();
    for (int i = 0; i < PROBE_ROWS.length; i++) {
      float[] row = java.util.Arrays.copyOfRange(got.get("e"), i * COLS, (i + 1) * COLS);
      assertThat(row)
          .as("row %s gathered from the streamed table", PROBE_ROWS[i])
          .containsExactly(probe[i]);
    }
    float[] ref = run(srcModel, ids, x).get("y");
    assertThat(TestModels.sqnrDb(ref, got.get("y"))).as("quantized MatMul SQNR").isGreaterThan(30);
    System.out.printf(
        "large model: quantize %.1f s, write %.1f s, ORT load+run %.1f s%n",
        (tQuant - t0) / 1e9, (tWrite - tQuant) / 1e9, (tRun - tWrite) / 1e9);
  }

  private static List<Sample> calibrationRows(int n) {
    SplittableRandom r = new SplittableRandom(42);
    List<Sample> rows = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] ids = {r.nextLong(ROWS), r.nextLong(ROWS)};
      rows.add(
          new Sample(
              "c" + i,
              Map.of(
                  "x", TensorValue.ofFloats(new long[] {COLS}, TestModels.uniform(r, COLS, 1f)),
                  "ids_f", TensorValue.ofFloats(new long[] {2}, ids)),
              -1));
    }
    return rows;
  }

  private static ModelProto model(SplittableRandom r) {
    TensorProto table =
        TensorProto.newBuilder()
            .setName("table")
            .setDataType(FLOAT_VALUE)
            .addDims(ROWS)
            .addDims(COLS)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", "big.onnx.data"))
            .addExternalData(entry("offset", "0"))
            .addExternalData(entry("length", Long.toString(ROWS * COLS * 4)))
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("big")
            .addInput(Nodes.valueInfo("ids_f", FLOAT_VALUE, "B", "K"))
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", COLS))
            .addOutput(Nodes.valueInfo("e", FLOAT_VALUE, "B", "K", COLS))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 16))
            .addInitializer(table)
            .addInitializer(TestModels.weights("w", r, 0.3f, COLS, 16))
            .addNode(
                Nodes.node(
                    "Cast",
                    "to_int",
                    List.of("ids_f"),
                    List.of("ids"),
                    Nodes.attr("to", (long) TensorProto.DataType.INT64_VALUE)))
            .addNode(Nodes.node("Gather", "lookup", List.of("table", "ids"), List.of("e")))
            .addNode(Nodes.node("MatMul", "mm", List.of("x", "w"), List.of("y")))
            .build();
    return TestModels.model(g, 13);
  }

  private static Map<String, float[]> run(Path model, float[] ids, float[] x) throws Exception {
    try (OrtSession s = OrtRuntime.open(model, new OrtRuntime.SessionSettings(1, true));
        OnnxTensor a =
            OnnxTensor.createTensor(
                OrtRuntime.env(), FloatBuffer.wrap(ids), new long[] {1, ids.length});
        OnnxTensor b =
            OnnxTensor.createTensor(OrtRuntime.env(), FloatBuffer.wrap(x), new long[] {2, COLS});
        OrtSession.Result res = s.run(Map.of("ids_f", a, "x", b))) {
      Map<String, float[]> out = new java.util.HashMap<>();
      for (String name : List.of("e", "y")) {
        FloatBuffer fb = ((OnnxTensor) res.get(name).orElseThrow()).getFloatBuffer();
        float[] v = new float[fb.remaining()];
        fb.get(v);
        out.put(name, v);
      }
      return out;
    }
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }
}
