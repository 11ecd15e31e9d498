package io.octet.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.testing.TestModels;
import org.junit.jupiter.api.Test;

class OnnxGraphTest {

  @Test
  void subgraphReadsOfOuterTensorsCountAsConsumersThroughTheOwningNode() {
    GraphProto g = TestModels.ifModel(1).getGraph();
    OnnxGraph index = new OnnxGraph(g);

    assertThat(index.consumers("h"))
        .extracting(NodeProto::getName)
        .as("h is read by both bodies of the If")
        .containsExactly("branch");
    assertThat(index.consumers("x"))
        .extracting(NodeProto::getName)
        .as("x: MatMul, ReduceSum and the then body")
        .containsExactly("mm_in", "sum_x", "branch");
    assertThat(index.consumers("w1"))
        .extracting(NodeProto::getName)
        .as("w1: MatMul and the else body")
        .containsExactly("mm_in", "branch");
    assertThat(index.consumers("k")).extracting(NodeProto::getName).containsExactly("branch");
    assertThat(index.consumers("else_shift"))
        .as("a body's own initializer is not an outer read")
        .isEmpty();
    assertThat(index.producer("chosen").orElseThrow().getName()).isEqualTo("branch");
    assertThat(index.producer("x")).as("graph input has no producer").isEmpty();
  }

  @Test
  void loopBodyReadsAreFoundAndItsOwnNamesAreTaken() {
    OnnxGraph index = new OnnxGraph(TestModels.loopModel(1).getGraph());

    assertThat(index.consumers("x"))
        .extracting(NodeProto::getName)
        .containsExactly("mm_in", "loop");
    assertThat(index.consumers("v_in")).as("body input is local").isEmpty();
    assertThat(index.freshName("v_out")).as("a body tensor name is in use").isEqualTo("v_out_1");
    assertThat(index.freshName("v_out"))
        .as("and so is the name just handed out")
        .isEqualTo("v_out_2");
    assertThat(index.freshName("half")).as("body initializer").isEqualTo("half_1");
    assertThat(index.freshName("decay")).as("body node name").isEqualTo("decay_1");
    assertThat(index.freshName("brand_new")).isEqualTo("brand_new");
  }

  @Test
  void constantsAreInitializersThatAreNotGraphInputsOrConstantOutputs() {
    GraphProto g =
        TestModels.denseNet(1).getGraph().toBuilder()
            .addInput(Nodes.valueInfo("c_gemm", TensorProto.DataType.FLOAT_VALUE, new long[] {6}))
            .addNode(
                Nodes.node(
                    "Constant",
                    "const",
                    java.util.List.of(),
                    java.util.List.of("k"),
                    Nodes.attr("value", TensorData.ofFloats("k", new long[0], new float[] {1}))))
            .build();
    OnnxGraph index = new OnnxGraph(g);

    assertThat(index.isConstant("w_gemm")).isTrue();
    assertThat(index.isConstant("c_gemm")).as("initializer overridable as an input").isFalse();
    assertThat(index.isConstant("k")).as("Constant output").isTrue();
    assertThat(index.isConstant("x")).isFalse();
    assertThat(index.declaredType("w_mm")).contains(TensorProto.DataType.FLOAT_VALUE);
    assertThat(index.indexOf(g.getNode(2))).isEqualTo(2);
  }
}
