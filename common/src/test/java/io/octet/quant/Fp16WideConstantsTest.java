package io.octet.quant;

import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT16_VALUE;
import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import io.octet.testing.TestModels;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Constants beyond the half-precision range in FP16 mode. PP-OCRv4's detector has a
 * BatchNormalization variance of 9.8e7 (a Constant node); saturating it to 65504 gave SQNR -7 dB.
 */
class Fp16WideConstantsTest {
  private static final QuantOptions FP16 = QuantOptions.defaults().withMode(QuantMode.FP16);
  private static final long[] SHAPE = {2, 4, 3, 3};

  private static OnnxModel fp16(OnnxModel fp32) {
    return Quantizer.quantize(fp32, FP16, null, null, Map.of());
  }

  private static TensorProto vec(String name, float... v) {
    return TensorData.ofFloats(name, new long[] {v.length}, v);
  }

  /** x → Conv → BatchNormalization (variance from a Constant node or an initializer) → y. */
  private static OnnxModel convBn(boolean varianceAsConstantNode) {
    SplittableRandom r = new SplittableRandom(61);
    // The conv output of the wide channel is ~1e4, so its normalised value stays O(1).
    TensorProto var = vec("var", 1.2f, 9.8e7f, 0.7f, 2.5e5f);
    GraphProto.Builder g =
        GraphProto.newBuilder()
            .setName("conv_bn")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", 4, 3, 3))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 4, 3, 3))
            .addInitializer(TestModels.weights("w", r, 0.5f, 4, 4, 1, 1))
            .addInitializer(vec("gamma", 1f, 2f, 0.5f, 1f))
            .addInitializer(vec("beta", 0.1f, -0.2f, 0f, 0.3f))
            .addInitializer(vec("mean", 0f, 100f, -0.1f, 50f))
            .addNode(Nodes.node("Conv", "conv", List.of("x", "w"), List.of("c")))
            .addNode(
                Nodes.node(
                    "BatchNormalization",
                    "bn",
                    List.of("c", "gamma", "beta", "mean", "var"),
                    List.of("y")));
    if (varianceAsConstantNode) {
      g.addNode(
          Nodes.node("Constant", "var_const", List.of(), List.of("var"), Nodes.attr("value", var)));
    } else {
      g.addInitializer(var);
    }
    return new OnnxModel(TestModels.model(g.build(), 12), null, "conv_bn");
  }

  private static void assertCloseToFp32(OnnxModel fp32, OnnxModel h) {
    float[] x = TestModels.uniform(new SplittableRandom(62), 2 * 4 * 9, 1f);
    float[] ref = TestModels.run(fp32, "x", SHAPE, x).get("y");
    float[] got = TestModels.run(h, "x", SHAPE, x).get("y");
    assertThat(TestModels.sqnrDb(ref, got)).as("fp16 SQNR").isGreaterThan(40);
  }

  @Test
  void aBatchNormVarianceBeyondHalfRangeInAConstantNodeStaysFp32WithItsReader() {
    OnnxModel fp32 = convBn(true);
    OnnxModel h = fp16(fp32);
    GraphProto g = h.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);

    // The quantizer turns Constant nodes into initializers first.
    assertThat(index.initializer("var").orElseThrow().getDataType())
        .as("the variance keeps its float32 values")
        .isEqualTo(FLOAT_VALUE);
    NodeProto bn = TestModels.nodeNamed(g, "bn");
    NodeProto before = index.producer(bn.getInput(0)).orElseThrow();
    assertThat(before.getOpType()).as("BatchNormalization reads a float32 copy").isEqualTo("Cast");
    assertThat(index.consumers("var")).as("no half copy of the variance").containsExactly(bn);
    assertThat(TestModels.nodeNamed(g, "conv").getInput(1))
        .as("the conv around it is still half precision")
        .isEqualTo("w");
    assertThat(index.initializer("w").orElseThrow().getDataType()).isEqualTo(FLOAT16_VALUE);
    assertCloseToFp32(fp32, h);
  }

  @Test
  void aWideInitializerStaysFp32() {
    OnnxModel fp32 = convBn(false);
    OnnxModel h = fp16(fp32);
    OnnxGraph index = new OnnxGraph(h.proto().getGraph());

    assertThat(index.initializer("var").orElseThrow().getDataType())
        .as("variance")
        .isEqualTo(FLOAT_VALUE);
    assertThat(index.initializer("gamma").orElseThrow().getDataType())
        .as("the kept node's other parameters are read through casts")
        .isEqualTo(FLOAT16_VALUE);
    assertCloseToFp32(fp32, h);
  }

  @Test
  void aMaskBuiltFromAHugeConstantIsComputedInFp32AndArrivesSaturatedNotInfinite() {
    // y = x + Expand((1 - m) * -3.4e38): the attention-mask idiom. Stored as half, -3.4e38 would
    // be -Inf and 0 * -Inf NaN; kept FP32 and clipped before the cast, it arrives as -65504.
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("mask")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", 8))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 8))
            .addInitializer(vec("keep", 1f, 1f, 0f, 1f, 0f, 1f, 1f, 1f))
            .addInitializer(vec("one", 1f))
            .addInitializer(vec("huge", -3.4e38f))
            .addInitializer(TensorData.ofLongs("shape", new long[] {2}, new long[] {1, 8}))
            .addNode(Nodes.node("Sub", "inv", List.of("one", "keep"), List.of("masked")))
            .addNode(Nodes.node("Mul", "scale", List.of("masked", "huge"), List.of("bias")))
            .addNode(Nodes.node("Expand", "expand", List.of("bias", "shape"), List.of("wide")))
            .addNode(Nodes.node("Add", "add", List.of("x", "wide"), List.of("y")))
            .build();
    OnnxModel h = fp16(new OnnxModel(TestModels.model(graph, 13), null, "mask"));
    GraphProto g = h.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);

    assertThat(index.initializer("huge").orElseThrow().getDataType())
        .as("kept float32")
        .isEqualTo(FLOAT_VALUE);
    assertThat(g.getNodeList()).extracting(NodeProto::getOpType).as("saturation").contains("Clip");
    float[] y =
        TestModels.run(h, "x", new long[] {1, 8}, new float[] {1, 2, 3, 4, 5, 6, 7, 8}).get("y");
    assertThat(y[0]).as("kept position").isEqualTo(1f);
    assertThat(y[1]).as("kept position: 0 x huge is 0, not NaN").isEqualTo(2f);
    assertThat(y[2]).as("masked position: very negative and finite").isFinite().isLessThan(-6e4f);
  }

  @Test
  void aScaleFactorBeyondHalfRangeIsAppliedInFp32() {
    // x * 1e5 / 1e5: as half, 1e5 would be 65504 and the result 35 % off.
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("scale")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", 4))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 4))
            .addInitializer(vec("up", 1e5f))
            .addInitializer(vec("down", 1e-5f))
            .addNode(Nodes.node("Mul", "big", List.of("x", "up"), List.of("scaled")))
            .addNode(Nodes.node("Mul", "small", List.of("scaled", "down"), List.of("y")))
            .build();
    OnnxModel h = fp16(new OnnxModel(TestModels.model(graph, 13), null, "scale"));
    float[] y =
        TestModels.run(h, "x", new long[] {1, 4}, new float[] {0.1f, 0.2f, 0.3f, 0.4f}).get("y");
    // 0.4 * 1e5 = 40000 fits in half; the product in FP32, then halves, is within 0.1 %.
    assertThat(y[3]).isCloseTo(0.4f, org.assertj.core.data.Offset.offset(0.001f));
  }
}
