package io.octet.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.engine.LocalEngine;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** If and Loop bodies survive static and dynamic quantization intact and still run. */
class SubgraphQuantizationTest {
  private static final long[] ROW = {6};

  @TempDir Path dir;

  private static LongFunction<ModelProto> fixture(String name) {
    return switch (name) {
      case "if" -> TestModels::ifModel;
      case "loop" -> TestModels::loopModel;
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"if, static", "if, dynamic", "loop, static", "loop, dynamic"})
  void bodiesAreLeftIntactAndTheQuantizedModelRunsCloseToFp32(String kind, String mode) {
    ModelProto proto = fixture(kind).apply(21);
    Path fp32File = dir.resolve(kind + ".onnx");
    OnnxModelIO.write(new OnnxModel(proto, null, kind), fp32File, OnnxModelIO.WriteOptions.DEFAULT);
    OnnxModel fp32 = OnnxModelIO.read(fp32File);
    assertThat(fp32.proto()).as("subgraph model round-trips").isEqualTo(proto);

    QuantOptions opts = QuantOptions.defaults().withMode(QuantMode.fromConfig(mode));
    OnnxModel q;
    if (opts.mode() == QuantMode.STATIC) {
      Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
      // Batches of one row so that both If branches are seen in calibration.
      CalibrationTable table = LocalEngine.calibrate(prepared, shiftedRows(48), 1, 2048, 1);
      q = Quantizer.quantize(fp32, opts, prepared, table, Map.of());
    } else {
      q = Quantizer.quantize(fp32, opts, null, null, Map.of());
    }
    Path qFile = dir.resolve(kind + "." + mode + ".onnx");
    OnnxModelIO.write(q, qFile, OnnxModelIO.WriteOptions.DEFAULT);

    NodeProto original = controlFlowNode(proto);
    NodeProto after = controlFlowNode(OnnxModelIO.read(qFile).proto());
    assertThat(after.getAttributeList())
        .as("%s bodies byte for byte", kind)
        .isEqualTo(original.getAttributeList());
    assertThat(after.getInputList())
        .as("%s node reads the float tensors", kind)
        .isEqualTo(original.getInputList());
    List<String> inits =
        q.proto().getGraph().getInitializerList().stream().map(TensorProto::getName).toList();
    if (kind.equals("if")) {
      assertThat(inits).as("outer tensors the else body reads are kept").contains("w1", "k");
    }
    assertThat(q.proto().getGraph().getNodeList())
        .extracting(NodeProto::getOpType)
        .as("main graph was quantized")
        .contains(opts.mode() == QuantMode.STATIC ? "QuantizeLinear" : "MatMulInteger");

    // Rows whose sum is positive take the then branch, negative ones the else branch.
    for (float shift : new float[] {0.6f, -0.6f}) {
      float[] x = shifted(new SplittableRandom(23), 4 * 6, shift);
      long[] shape = {4, 6};
      float[] ref = TestModels.run(fp32File, "x", shape, x).get("y");
      float[] got = TestModels.run(qFile, "x", shape, x).get("y");
      double sqnr = TestModels.sqnrDb(ref, got);
      System.out.printf("%s %s shift %+.1f: SQNR %.2f dB%n", kind, mode, shift, sqnr);
      assertThat(sqnr).as("%s %s, inputs shifted %s", kind, mode, shift).isGreaterThan(30);
    }
  }

  /** Values in shift ± 0.5: rows with shift +0.6 take the then branch, -0.6 the else branch. */
  private static float[] shifted(SplittableRandom r, int n, float shift) {
    float[] x = TestModels.uniform(r, n, 0.5f);
    for (int i = 0; i < n; i++) {
      x[i] += shift;
    }
    return x;
  }

  private static List<Sample> shiftedRows(int n) {
    SplittableRandom r = new SplittableRandom(22);
    List<Sample> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] x = shifted(r, 6, i % 2 == 0 ? 0.6f : -0.6f);
      rows.add(new Sample("c" + i, Map.of("x", TensorValue.ofFloats(ROW, x)), -1));
    }
    return rows;
  }

  private static NodeProto controlFlowNode(ModelProto m) {
    return m.getGraph().getNodeList().stream()
        .filter(n -> n.getAttributeList().stream().anyMatch(AttributeProto::hasG))
        .findFirst()
        .orElseThrow();
  }
}
