package io.octet.onnx;

import static ai.onnx.proto.OnnxMl.TensorProto.DataType.BOOL_VALUE;
import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
import static io.octet.onnx.Nodes.attr;
import static io.octet.onnx.Nodes.attrInts;
import static io.octet.onnx.Nodes.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.octet.error.QuantException;
import io.octet.testing.TestModels;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OpsetUpgraderTest {
  private static final List<String> OUTPUTS =
      List.of("sq", "rs", "rs_all", "sp1", "sp2", "sm", "lsm", "hm", "sm_last", "dr", "branch");

  /** Every operator whose signature or meaning changed between opset 11 and 13. */
  static ModelProto opset11Model() {
    GraphProto thenBody =
        GraphProto.newBuilder()
            .setName("then")
            .addNode(
                node("Unsqueeze", "then_unsq", List.of("x"), List.of("t"), attrInts("axes", 1)))
            .addOutput(Nodes.untyped("t"))
            .build();
    GraphProto elseBody =
        GraphProto.newBuilder()
            .setName("else")
            .addNode(
                node("Unsqueeze", "else_unsq", List.of("x"), List.of("e"), attrInts("axes", 0)))
            .addOutput(Nodes.untyped("e"))
            .build();
    TensorProto yes =
        TensorProto.newBuilder()
            .setName("yes")
            .setDataType(BOOL_VALUE)
            .setRawData(ByteString.copyFrom(new byte[] {1}))
            .build();
    GraphProto.Builder g =
        GraphProto.newBuilder()
            .setName("opset11")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, new long[] {2, 3, 4}))
            .addInitializer(yes)
            .addNode(node("Unsqueeze", "unsq", List.of("x"), List.of("u"), attrInts("axes", 0)))
            .addNode(node("Squeeze", "sqz", List.of("u"), List.of("sq"), attrInts("axes", 0)))
            .addNode(
                node(
                    "ReduceSum",
                    "rsum",
                    List.of("sq"),
                    List.of("rs"),
                    attrInts("axes", 2),
                    attr("keepdims", 1L)))
            .addNode(node("ReduceSum", "rsum_all", List.of("x"), List.of("rs_all")))
            .addNode(
                node(
                    "Split",
                    "split",
                    List.of("x"),
                    List.of("sp1", "sp2"),
                    attr("axis", 2L),
                    attrInts("split", 1, 3)))
            // Opset 11 Softmax with axis=1 on rank 3 normalizes over the 12 values of each row.
            .addNode(node("Softmax", "softmax", List.of("x"), List.of("sm"), attr("axis", 1L)))
            .addNode(node("LogSoftmax", "logsoftmax", List.of("x"), List.of("lsm")))
            .addNode(node("Hardmax", "hardmax", List.of("x"), List.of("hm"), attr("axis", 2L)))
            .addNode(
                node(
                    "Softmax", "softmax_last", List.of("x"), List.of("sm_last"), attr("axis", -1L)))
            .addNode(node("Dropout", "dropout", List.of("x"), List.of("dr"), attr("ratio", 0.3f)))
            .addNode(
                node(
                    "If",
                    "if",
                    List.of("yes"),
                    List.of("branch"),
                    attr("then_branch", thenBody),
                    attr("else_branch", elseBody)));
    for (String o : OUTPUTS) {
      g.addOutput(Nodes.untyped(o));
    }
    return TestModels.model(g.build(), 11);
  }

  @Test
  void upgradedModelGivesIdenticalOutputsAndImportsOpset13() {
    OnnxModel v11 = new OnnxModel(opset11Model(), null, "opset11");
    float[] x = TestModels.uniform(new SplittableRandom(8), 24, 3f);
    long[] shape = {2, 3, 4};

    OnnxModel v13 = OpsetUpgrader.upgradeTo13(v11);

    assertThat(v13.opsetVersion("")).as("default opset after upgrade").isEqualTo(13);
    assertThat(v13.proto().getOpsetImportCount()).as("no extra imports").isEqualTo(1);
    Map<String, float[]> before = TestModels.run(v11, "x", shape, x);
    Map<String, float[]> after = TestModels.run(v13, "x", shape, x);
    assertThat(before.keySet()).as("outputs at opset 11").containsExactlyElementsOf(OUTPUTS);
    for (String o : OUTPUTS) {
      assertThat(after.get(o)).as("output %s after the upgrade", o).containsExactly(before.get(o));
    }
    // The old softmax meaning really differs from the new one here, so the test can fail.
    float[] sm = before.get("sm");
    float rowSum = 0;
    for (int i = 0; i < 12; i++) {
      rowSum += sm[i];
    }
    assertThat(rowSum).as("opset-11 softmax sums to 1 over 12 values").isCloseTo(1f, within());
    for (NodeProto n : allNodes(v13.proto().getGraph())) {
      List<String> attrs = n.getAttributeList().stream().map(AttributeProto::getName).toList();
      switch (n.getOpType()) {
        case "Squeeze", "Unsqueeze", "ReduceSum" -> {
          assertThat(attrs)
              .as("%s '%s' attributes", n.getOpType(), n.getName())
              .doesNotContain("axes");
          if (!n.getName().equals("rsum_all")) {
            assertThat(n.getInputCount()).as("axes became input 1 of %s", n.getName()).isEqualTo(2);
          }
        }
        case "Split" -> assertThat(attrs).as("Split attributes").doesNotContain("split");
        case "Dropout" -> assertThat(attrs).as("Dropout attributes").doesNotContain("ratio");
        default -> {}
      }
    }
  }

  @Test
  void modelsAtOpset13OrNewerAreReturnedUnchangedAndOlderThan11AreRefused() {
    OnnxModel v13 = new OnnxModel(TestModels.denseNet(1), null, "dense");
    assertThat(OpsetUpgrader.upgradeTo13(v13)).as("same instance").isSameAs(v13);

    OnnxModel v9 =
        new OnnxModel(
            TestModels.model(TestModels.denseNet(1).getGraph(), 9), null, "old-dense.onnx");
    assertThatThrownBy(() -> OpsetUpgrader.upgradeTo13(v9))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("old-dense.onnx")
        .hasMessageContaining("opset 9");
  }

  private static org.assertj.core.data.Offset<Float> within() {
    return org.assertj.core.data.Offset.offset(1e-5f);
  }

  private static List<NodeProto> allNodes(GraphProto g) {
    List<NodeProto> out = new java.util.ArrayList<>(g.getNodeList());
    for (NodeProto n : g.getNodeList()) {
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          out.addAll(allNodes(a.getG()));
        }
      }
    }
    return out;
  }
}
