package io.octet.quant;

import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
import static ai.onnx.proto.OnnxMl.TensorProto.DataType.INT64_VALUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.QuantType;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import io.octet.quant.QuantPlan.ActivationQuant;
import io.octet.quant.QuantPlan.NodeQuant;
import io.octet.quant.QuantPlan.Source;
import io.octet.quant.QuantPlan.WeightQuant;
import io.octet.runtime.TypeProbe;
import io.octet.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantPlannerTest {
  private static final QuantOptions DEFAULTS = QuantOptions.defaults();

  private static QuantPlan plan(ModelProto proto, QuantOptions opts) {
    OnnxModel m = new OnnxModel(proto, null, "test-model");
    return QuantPlanner.plan(m, TypeProbe.probe(m), opts);
  }

  private static NodeQuant node(QuantPlan p, String name) {
    return p.nodes().stream()
        .filter(n -> n.nodeName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("node " + name + " not quantized: " + p.nodes()));
  }

  @Test
  void convReluPoolConvQuantizesTheReluOutputAndSharesItThroughMaxPool() {
    QuantPlan p = plan(TestModels.tinyConvNet(1, false), DEFAULTS);

    assertThat(p.nodes()).extracting(NodeQuant::nodeName).containsExactly("conv0", "conv1");
    Map<String, ActivationQuant> acts = p.activations();
    assertThat(acts).as("conv0 output folds into the Relu").doesNotContainKey("c0");
    assertThat(acts.get("x").source()).as("graph input").isEqualTo(Source.CALIBRATED);
    assertThat(acts.get("r0").source()).as("Relu output").isEqualTo(Source.CALIBRATED);
    assertThat(acts.get("p0"))
        .as("MaxPool output")
        .extracting(ActivationQuant::source, ActivationQuant::sharedWith)
        .containsExactly(Source.SHARED, "r0");
    assertThat(p.calibrationTensors())
        .as("calibrated, in graph order")
        .containsExactly("x", "r0", "y");
    for (String conv : List.of("conv0", "conv1")) {
      NodeQuant n = node(p, conv);
      assertThat(n.weights())
          .as("%s weights", conv)
          .extracting(WeightQuant::inputIndex, WeightQuant::axis, WeightQuant::type)
          .containsExactly(tuple(1, 0, QuantType.INT8));
      assertThat(n.biasInput()).as("%s bias slot (int32)", conv).isEqualTo(2);
      assertThat(n.biasWeightInput()).as("%s bias scale from the weight", conv).isEqualTo(1);
      assertThat(n.activationInputs()).as("%s activation slots", conv).containsExactly(0);
    }
  }

  @Test
  void matMulWithConstantBIsPerChannelOnAxis1AndGemmTransBOnAxis0() {
    QuantPlan p = plan(TestModels.denseNet(2), DEFAULTS);

    assertThat(node(p, "mm0").weights())
        .extracting(WeightQuant::inputIndex, WeightQuant::tensor, WeightQuant::axis)
        .containsExactly(tuple(1, "w_mm", 1));
    NodeQuant gemm = node(p, "gemm0");
    assertThat(gemm.weights())
        .extracting(WeightQuant::inputIndex, WeightQuant::tensor, WeightQuant::axis)
        .containsExactly(tuple(1, "w_gemm", 0));
    assertThat(gemm.biasInput()).as("Gemm C becomes an int32 bias").isEqualTo(2);
    assertThat(p.activations()).as("MatMul output read by nobody quantized").doesNotContainKey("y");
    assertThat(p.activations()).as("Gemm output folds into Relu").doesNotContainKey("g0");
    assertThat(p.activations()).containsKeys("x", "r0");

    QuantPlan perTensor = plan(TestModels.denseNet(2), DEFAULTS.withPerChannel(false));
    assertThat(perTensor.nodes())
        .flatExtracting(NodeQuant::weights)
        .extracting(WeightQuant::axis)
        .as("per-tensor option")
        .containsOnly(-1);
  }

  @Test
  void excludeNodesExcludeOpTypesAndIncludeNodesAreHonored() {
    ModelProto conv = TestModels.tinyConvNet(3, false);

    QuantPlan excl = plan(conv, DEFAULTS.withExcludeNodes(List.of("conv1")));
    assertThat(excl.nodes()).extracting(NodeQuant::nodeName).containsExactly("conv0");
    assertThat(excl.notes()).anySatisfy(n -> assertThat(n).contains("conv1", "config"));

    QuantOptions noConv =
        new QuantOptions(
            DEFAULTS.mode(),
            DEFAULTS.method(),
            DEFAULTS.percentile(),
            DEFAULTS.activationType(),
            DEFAULTS.activationSymmetric(),
            DEFAULTS.perChannel(),
            DEFAULTS.opTypes(),
            List.of(),
            List.of(),
            List.of("Conv"),
            Map.of(),
            false,
            DEFAULTS.int4BlockSize(),
            DEFAULTS.int4Symmetric(),
            DEFAULTS.fp16KeepOpTypes(),
            DEFAULTS.target(),
            DEFAULTS.weightEncoding());
    assertThat(plan(conv, noConv).nodes()).as("exclude-op-types Conv").isEmpty();

    QuantOptions onlyConv1 =
        new QuantOptions(
            DEFAULTS.mode(),
            DEFAULTS.method(),
            DEFAULTS.percentile(),
            DEFAULTS.activationType(),
            DEFAULTS.activationSymmetric(),
            DEFAULTS.perChannel(),
            DEFAULTS.opTypes(),
            List.of("conv1"),
            List.of(),
            List.of(),
            Map.of(),
            false,
            DEFAULTS.int4BlockSize(),
            DEFAULTS.int4Symmetric(),
            DEFAULTS.fp16KeepOpTypes(),
            DEFAULTS.target(),
            DEFAULTS.weightEncoding());
    QuantPlan incl = plan(conv, onlyConv1);
    assertThat(incl.nodes())
        .as("include-nodes")
        .extracting(NodeQuant::nodeName)
        .containsExactly("conv1");
    assertThat(incl.activations()).as("conv0's input is not quantized").doesNotContainKey("x");
  }

  @Test
  void nodeWithAnIntegerInputIsSkippedWithANote() {
    SplittableRandom r = new SplittableRandom(4);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("mixed")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", 4))
            .addInput(Nodes.valueInfo("idx", INT64_VALUE, "N", 4))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 4))
            .addOutput(Nodes.valueInfo("j", INT64_VALUE, "N", 4))
            .addInitializer(TestModels.weights("bias", r, 1f, 4))
            .addInitializer(TensorData.ofLongs("one", new long[] {4}, new long[] {1, 1, 1, 1}))
            .addNode(Nodes.node("Add", "add_float", List.of("x", "bias"), List.of("y")))
            .addNode(Nodes.node("Add", "add_int", List.of("idx", "one"), List.of("j")))
            .build();

    QuantPlan p = plan(TestModels.model(g, 13), DEFAULTS);

    assertThat(p.nodes()).extracting(NodeQuant::nodeName).containsExactly("add_float");
    assertThat(p.notes())
        .as("the skip is explained")
        .anySatisfy(n -> assertThat(n).contains("add_int", "'idx'", "not float"));
    assertThat(p.activations()).doesNotContainKeys("idx", "j");
  }

  @Test
  void tensorOverrideWithAFixedRangeBecomesFixedAndSkipsCalibration() {
    TensorOverride fixed = new TensorOverride(null, null, -2f, 6f, null, null);
    TensorOverride minmax =
        new TensorOverride(CalibrationMethod.MINMAX, null, null, null, true, QuantType.INT8);
    QuantOptions opts = DEFAULTS.withTensorOverrides(Map.of("r0", fixed, "x", minmax));

    QuantPlan p = plan(TestModels.tinyConvNet(5, false), opts);

    assertThat(p.activations().get("r0"))
        .extracting(ActivationQuant::source, ActivationQuant::fixedLo, ActivationQuant::fixedHi)
        .containsExactly(Source.FIXED, -2f, 6f);
    assertThat(p.activations().get("p0").source())
        .as("a fixed range still feeds MaxPool's shared parameters")
        .isEqualTo(Source.SHARED);
    assertThat(p.activations().get("x"))
        .extracting(ActivationQuant::method, ActivationQuant::symmetric, ActivationQuant::type)
        .containsExactly(CalibrationMethod.MINMAX, true, QuantType.INT8);
    assertThat(p.calibrationTensors()).as("r0 needs no calibration").containsExactly("x", "y");
  }

  @Test
  void softmaxOutputIsFixedToZeroOne() {
    List<String> ops = new ArrayList<>(DEFAULTS.opTypes());
    ops.add("Softmax");

    QuantPlan p = plan(TestModels.mlp(6), DEFAULTS.withOpTypes(ops));

    assertThat(p.activations().get("y"))
        .extracting(
            ActivationQuant::source,
            ActivationQuant::fixedLo,
            ActivationQuant::fixedHi,
            ActivationQuant::type)
        .containsExactly(Source.FIXED, 0f, 1f, QuantType.UINT8);
    assertThat(p.activations().get("logits").source())
        .as("Softmax input is calibrated")
        .isEqualTo(Source.CALIBRATED);
    assertThat(plan(TestModels.mlp(6), DEFAULTS).activations())
        .as("Softmax is not quantized by default")
        .doesNotContainKeys("y", "logits");
  }
}
