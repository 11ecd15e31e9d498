package io.octet.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.calib.CalibrationTable;
import io.octet.engine.LocalEngine;
import io.octet.onnx.ExternalData;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models whose weights live in external data files quantize, and their outputs run in ORT. */
class ExternalDataQuantizationTest {
  private static final long[] IMAGE = {3, 8, 8};

  @TempDir Path dir;

  @Test
  void staticQuantizationOfAnExternalDataModelWritesARunnableExternalDataModel() throws Exception {
    Path src = dir.resolve("src/conv.onnx");
    OnnxModelIO.write(
        new OnnxModel(TestModels.tinyConvNet(31, false), null, "conv"),
        src,
        new OnnxModelIO.WriteOptions(0, true));
    OnnxModel fp32 = OnnxModelIO.read(src);
    assertThat(fp32.proto().getGraph().getInitializerList())
        .as("source weights are external")
        .allMatch(ExternalData::isExternal);

    QuantOptions opts = QuantOptions.defaults();
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
    CalibrationTable table =
        LocalEngine.calibrate(prepared, TestModels.randomRows("x", IMAGE, 32, 32, 1f), 8, 2048, 1);
    OnnxModel int8 = Quantizer.quantize(fp32, opts, prepared, table, Map.of());
    Path out = dir.resolve("out/conv.int8.onnx");
    List<Path> files = OnnxModelIO.write(int8, out, new OnnxModelIO.WriteOptions(0, true));

    assertThat(files)
        .as("model and data")
        .containsExactly(out, dir.resolve("out/conv.int8.onnx.data"));
    for (TensorProto t : OnnxModelIO.read(out).proto().getGraph().getInitializerList()) {
      assertThat(ExternalData.isExternal(t)).as("%s external in the output", t.getName()).isTrue();
    }
    Files.delete(dir.resolve("src/conv.onnx.data")); // the output must not depend on the source
    float[] x = TestModels.uniform(new SplittableRandom(33), 4 * 3 * 8 * 8, 1f);
    long[] shape = {4, 3, 8, 8};
    float[] ref =
        TestModels.run(new OnnxModel(TestModels.tinyConvNet(31, false), null, "c"), "x", shape, x)
            .get("y");
    float[] got = TestModels.run(out, "x", shape, x).get("y");
    assertThat(TestModels.sqnrDb(ref, got)).as("INT8 vs FP32 SQNR").isGreaterThan(30);
  }

  @Test
  void dynamicQuantizationOfAnExternalDataModelRunsFromTheFile() {
    Path src = dir.resolve("mlp.onnx");
    OnnxModelIO.write(
        new OnnxModel(TestModels.mlp(34), null, "mlp"),
        src,
        new OnnxModelIO.WriteOptions(64, true));
    OnnxModel fp32 = OnnxModelIO.read(src);

    OnnxModel q =
        Quantizer.quantize(
            fp32, QuantOptions.defaults().withMode(QuantMode.DYNAMIC), null, null, Map.of());
    Path out = dir.resolve("q/mlp.dyn.onnx");
    OnnxModelIO.write(q, out, OnnxModelIO.WriteOptions.DEFAULT);

    float[] x = TestModels.uniform(new SplittableRandom(35), 5 * 64, 1f);
    float[] ref = TestModels.run(src, "x", new long[] {5, 64}, x).get("y");
    float[] got = TestModels.run(out, "x", new long[] {5, 64}, x).get("y");
    assertThat(TestModels.sqnrDb(ref, got)).as("dynamic INT8 vs FP32 SQNR").isGreaterThan(30);
    assertThat(TestModels.run(q, "x", new long[] {5, 64}, x).get("y"))
        .as("in-memory model with external source data runs the same")
        .containsExactly(got);
  }
}
