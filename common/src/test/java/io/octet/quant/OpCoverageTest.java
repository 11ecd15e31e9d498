package io.octet.quant;

import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
import static io.octet.onnx.Nodes.attr;
import static io.octet.onnx.Nodes.attrInts;
import static io.octet.onnx.Nodes.node;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.octet.calib.CalibrationTable;
import io.octet.calib.QuantType;
import io.octet.data.Sample;
import io.octet.engine.LocalEngine;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import io.octet.testing.TestModels;
import io.octet.validate.Pooling;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every operator with a static quantization rule, in one small network that ONNX Runtime must
 * accept after the QDQ rewrite and that must stay close to FP32.
 */
class OpCoverageTest {
  private static final long[] ROW = {4, 8, 8};

  /**
   * x [N,4,8,8] → Conv(4→6) → Relu → AveragePool 2 → ConvTranspose(6→4, stride 2) → Concat with x →
   * depthwise Conv (group 8) → Resize ×0.5 → Mul by a per-channel constant → Add a constant → Clip
   * → GlobalAveragePool → Flatten → Gemm(transB=0) → Softmax... no: → y [N, 5].
   */
  static ModelProto zoo(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("zoo")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", 4, 8, 8))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 5))
            .addInitializer(TestModels.weights("w_conv", r, 0.4f, 6, 4, 3, 3))
            .addInitializer(TestModels.weights("b_conv", r, 0.2f, 6))
            .addInitializer(TestModels.weights("w_convt", r, 0.4f, 6, 4, 2, 2))
            .addInitializer(TestModels.weights("b_convt", r, 0.2f, 4))
            .addInitializer(TestModels.weights("w_dw", r, 0.6f, 8, 1, 3, 3))
            .addInitializer(TestModels.weights("scale_c", r, 1.5f, 8, 1, 1))
            .addInitializer(TestModels.weights("shift_c", r, 0.3f, 1, 8, 1, 1))
            .addInitializer(
                TensorData.ofFloats("scales", new long[] {4}, new float[] {1, 1, 0.5f, 0.5f}))
            .addInitializer(TensorData.ofFloats("lo", new long[0], new float[] {-1f}))
            .addInitializer(TensorData.ofFloats("hi", new long[0], new float[] {1.5f}))
            .addInitializer(TestModels.weights("w_fc", r, 0.5f, 8, 5))
            .addInitializer(TestModels.weights("b_fc", r, 0.2f, 5))
            .addNode(
                node(
                    "Conv",
                    "conv",
                    List.of("x", "w_conv", "b_conv"),
                    List.of("c"),
                    attrInts("pads", 1, 1, 1, 1)))
            .addNode(node("Relu", "relu", List.of("c"), List.of("r")))
            .addNode(
                node(
                    "AveragePool",
                    "avg",
                    List.of("r"),
                    List.of("a"),
                    attrInts("kernel_shape", 2, 2),
                    attrInts("strides", 2, 2)))
            .addNode(
                node(
                    "ConvTranspose",
                    "convt",
                    List.of("a", "w_convt", "b_convt"),
                    List.of("t"),
                    attrInts("strides", 2, 2)))
            .addNode(node("Concat", "cat", List.of("t", "x"), List.of("cc"), attr("axis", 1L)))
            .addNode(
                node(
                    "Conv",
                    "dw",
                    List.of("cc", "w_dw"),
                    List.of("d"),
                    attrInts("pads", 1, 1, 1, 1),
                    attr("group", 8L)))
            .addNode(
                node(
                    "Resize",
                    "resize",
                    List.of("d", "", "scales"),
                    List.of("rs"),
                    attr("mode", "linear")))
            .addNode(node("Mul", "mul", List.of("rs", "scale_c"), List.of("m")))
            .addNode(node("Add", "add", List.of("m", "shift_c"), List.of("s")))
            .addNode(node("Clip", "clip", List.of("s", "lo", "hi"), List.of("cl")))
            .addNode(node("GlobalAveragePool", "gap", List.of("cl"), List.of("gp")))
            .addNode(node("Flatten", "flat", List.of("gp"), List.of("f")))
            .addNode(node("Gemm", "fc", List.of("f", "w_fc", "b_fc"), List.of("y")))
            .build();
    return TestModels.model(g, 13);
  }

  @ParameterizedTest(name = "{0} symmetric={1} perChannel={2}")
  @CsvSource({"uint8, false, true", "int8, true, true", "int8, false, false"})
  void everyQuantizableOpRunsInOrtCloseToFp32(String type, boolean symmetric, boolean perChannel) {
    OnnxModel fp32 = new OnnxModel(zoo(81), null, "zoo");
    QuantOptions opts =
        QuantOptions.defaults()
            .withActivations(QuantType.fromConfig(type), symmetric)
            .withPerChannel(perChannel);

    Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
    List<Sample> calib = TestModels.randomRows("x", ROW, 64, 82, 1f);
    CalibrationTable table = LocalEngine.calibrate(prepared, calib, 16, 2048, 1);
    OnnxModel q = Quantizer.quantize(fp32, opts, prepared, table, Map.of());
    ValidationMetrics m =
        LocalEngine.validate(
            fp32,
            q,
            TestModels.randomRows("x", ROW, 100, 83, 1f),
            new ValidationOptions("y", Pooling.NONE, "", 1),
            25,
            1);

    System.out.printf(
        "zoo %s sym=%s pc=%s: SQNR %.2f dB, cos %.5f%n",
        type, symmetric, perChannel, m.sqnrDb(), m.meanCosine());
    assertThat(prepared.plan().nodes())
        .extracting(QuantPlan.NodeQuant::opType)
        .as("quantized ops")
        .containsExactlyInAnyOrder(
            "Conv",
            "AveragePool",
            "ConvTranspose",
            "Concat",
            "Conv",
            "Resize",
            "Mul",
            "Add",
            "GlobalAveragePool",
            "Gemm");
    assertThat(q.proto().getGraph().getNodeList())
        .extracting(NodeProto::getOpType)
        .filteredOn("QuantizeLinear"::equals)
        .as("activation Q nodes")
        .isNotEmpty();
    assertThat(m.sqnrDb()).as("SQNR of y").isGreaterThan(25);
  }
}
