package io.octet.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.engine.LocalEngine;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.onnx.TensorData;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.testing.DigitsData;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class QdqFusionTest {
  private static OnnxModel fused;
  private static OnnxModel unfused;

  @BeforeAll
  static void quantizeDigits() {
    OnnxModel fp32 = OnnxModelIO.read(DigitsData.model());
    QuantOptions opts = QuantOptions.defaults().withMethod(CalibrationMethod.MINMAX);
    Quantizer.Prepared p = Quantizer.prepare(fp32, opts);
    CalibrationTable table = LocalEngine.calibrate(p, DigitsData.rows("calib"), 32, 4096, 1);
    var params = QdqQuantizer.resolve(p.plan(), table.params());
    fused =
        QdqQuantizer.quantize(
            p.fp32(),
            p.plan(),
            params,
            Map.of(),
            QdqQuantizer.unclipped(params, table),
            opts.weightEncoding(),
            true);
    unfused =
        QdqQuantizer.quantize(
            p.fp32(), p.plan(), params, Map.of(), Set.of(), opts.weightEncoding(), false);
  }

  @Test
  void reluBeforeAQuantizeLinearIsRemovedSoEveryConvFeedsOnlyItsQuantizeLinear() {
    OnnxGraph before = new OnnxGraph(unfused.proto().getGraph());
    OnnxGraph after = new OnnxGraph(fused.proto().getGraph());
    assertThat(before.nodes()).extracting(NodeProto::getOpType).contains("Relu");
    assertThat(after.nodes()).extracting(NodeProto::getOpType).doesNotContain("Relu");
    for (NodeProto n : after.nodes()) {
      if (n.getOpType().equals("Conv")) {
        assertThat(after.consumers(n.getOutput(0)))
            .as("consumers of %s", n.getName())
            .extracting(NodeProto::getOpType)
            .containsExactly("QuantizeLinear");
      }
    }
  }

  @Test
  void removingThemChangesNoOutputValue() throws Exception {
    // Without graph optimizations ONNX Runtime runs the QDQ graph as written, op by op.
    List<Sample> rows = DigitsData.rows("test");
    float[] a = logits(unfused, rows);
    float[] b = logits(fused, rows);
    assertThat(a).hasSize(539 * 10);
    assertThat(b).containsExactly(a);
  }

  @Test
  void aReluIsKeptWhenItsQuantizeLinearDoesNotClipAtZero() {
    GraphProto g = activationThenQ(Nodes.node("Relu", "act", List.of("m"), List.of("r")), 10);
    assertThat(ops(QdqFusion.removeClippingActivations(g, null, "t"))).contains("Relu");
    GraphProto z = activationThenQ(Nodes.node("Relu", "act", List.of("m"), List.of("r")), 0);
    assertThat(ops(QdqFusion.removeClippingActivations(z, null, "t"))).doesNotContain("Relu");
  }

  @Test
  void aClipIsRemovedOnlyWhenQuantizeLinearClipsToTheSameBounds() {
    // scale 0.02, zero point 0: Q covers [0, 5.1]; Clip(0, 6) clips nothing Q does not.
    GraphProto within = activationThenQ(clip("lo0", "hi6"), 0);
    assertThat(ops(QdqFusion.removeClippingActivations(within, null, "t"))).doesNotContain("Clip");
    // Clip(1, 6) turns 0.5 into 1, which Q keeps apart from 0.5: the Clip must stay.
    GraphProto raisedFloor = activationThenQ(clip("lo1", "hi6"), 0);
    assertThat(ops(QdqFusion.removeClippingActivations(raisedFloor, null, "t"))).contains("Clip");
    // Clip(0, 3) clips inside Q's range.
    GraphProto lowCeiling = activationThenQ(clip("lo0", "hi3"), 0);
    assertThat(ops(QdqFusion.removeClippingActivations(lowCeiling, null, "t"))).contains("Clip");
  }

  @Test
  void floatConsumersOfAFusableOpReadItsDequantizedOutputAndTheGraphStaysOrdered() {
    // x -> Q/DQ -> Mul(dq, dq) -> m ; m -> Sigmoid (float) placed BEFORE m's Q/DQ in node order.
    GraphProto g =
        GraphProto.newBuilder()
            .addAllNode(qdq("x", "xq", "xdq"))
            .addNode(Nodes.node("Mul", "mul", List.of("xdq", "xdq"), List.of("m")))
            .addNode(Nodes.node("Sigmoid", "sig", List.of("m"), List.of("sg")))
            .addAllNode(qdq("m", "mq", "mdq"))
            .addAllInitializer(scaleAndZero())
            .build();
    GraphProto out = QdqFusion.routeFloatConsumersThroughDq(g, Set.of("m"));
    OnnxGraph index = new OnnxGraph(out);
    NodeProto sig = named(out, "sig");
    assertThat(sig.getInputList()).containsExactly("mdq");
    assertThat(index.consumers("m"))
        .extracting(NodeProto::getOpType)
        .containsExactly("QuantizeLinear");
    assertThat(out.getNodeList().indexOf(sig))
        .as("Sigmoid now comes after the DQ it reads")
        .isGreaterThan(out.getNodeList().indexOf(index.producer("mdq").orElseThrow()));
  }

  @Test
  void aFloatConsumerOfAClippedTensorKeepsTheExactValue() {
    GraphProto g =
        GraphProto.newBuilder()
            .addAllNode(qdq("x", "xq", "xdq"))
            .addNode(Nodes.node("Mul", "mul", List.of("xdq", "xdq"), List.of("m")))
            .addAllNode(qdq("m", "mq", "mdq"))
            .addNode(Nodes.node("Sigmoid", "sig", List.of("m"), List.of("sg")))
            .addAllInitializer(scaleAndZero())
            .build();
    // "m" is not among the unclipped tensors: its range cut values off.
    GraphProto out = QdqFusion.routeFloatConsumersThroughDq(g, Set.of());
    assertThat(named(out, "sig").getInputList()).containsExactly("m");
  }

  @Test
  void aTensorANormalizingOpReadsIsNotRouted() {
    GraphProto g =
        GraphProto.newBuilder()
            .addAllNode(qdq("x", "xq", "xdq"))
            .addNode(Nodes.node("Add", "add", List.of("xdq", "xdq"), List.of("m")))
            .addAllNode(qdq("m", "mq", "mdq"))
            .addNode(Nodes.node("ReduceMean", "mean", List.of("m"), List.of("mu")))
            .addNode(Nodes.node("Sub", "centre", List.of("m", "mu"), List.of("d")))
            .addAllInitializer(scaleAndZero())
            .build();
    GraphProto out = QdqFusion.routeFloatConsumersThroughDq(g, Set.of("m"));
    assertThat(named(out, "mean").getInputList()).containsExactly("m");
    assertThat(named(out, "centre").getInputList()).containsExactly("m", "mu");
  }

  private static float[] logits(OnnxModel m, List<Sample> rows) throws Exception {
    float[] out = new float[rows.size() * 10];
    int pos = 0;
    try (OrtSession s = OrtRuntime.open(m, new OrtRuntime.SessionSettings(1, false))) {
      for (int i = 0; i < rows.size(); i += 64) {
        try (InputBatch in = InputBatch.of(rows.subList(i, Math.min(rows.size(), i + 64)));
            OrtSession.Result r = s.run(in.tensorsFor(s.getInputNames()))) {
          FloatBuffer f = ((OnnxTensor) r.get(0)).getFloatBuffer();
          int n = f.remaining();
          f.get(out, pos, n);
          pos += n;
        }
      }
    }
    return out;
  }

  private static List<String> ops(GraphProto g) {
    return g.getNodeList().stream().map(NodeProto::getOpType).toList();
  }

  private static NodeProto clip(String lo, String hi) {
    return Nodes.node("Clip", "act", List.of("m", lo, hi), List.of("r"));
  }

  /** x -> Q/DQ -> Mul -> m -> activation -> r -> Q(scale 0.02, zero point zp) -> DQ -> y. */
  private static GraphProto activationThenQ(NodeProto act, int zp) {
    GraphProto.Builder b =
        GraphProto.newBuilder()
            .addAllNode(qdq("x", "xq", "xdq"))
            .addNode(Nodes.node("Mul", "mul", List.of("xdq", "xdq"), List.of("m")))
            .addNode(act)
            .addNode(Nodes.node("QuantizeLinear", "rq", List.of("r", "s", "z" + zp), List.of("rq")))
            .addNode(
                Nodes.node("DequantizeLinear", "rdq", List.of("rq", "s", "z" + zp), List.of("y")))
            .addAllInitializer(scaleAndZero())
            .addInitializer(
                TensorData.ofBytes("z" + zp, DataType.UINT8, new long[0], new byte[] {(byte) zp}));
    for (var e : Map.of("lo0", 0f, "lo1", 1f, "hi6", 6f, "hi3", 3f).entrySet()) {
      b.addInitializer(TensorData.ofFloats(e.getKey(), new long[0], new float[] {e.getValue()}));
    }
    return b.build();
  }

  private static List<NodeProto> qdq(String in, String q, String dq) {
    return List.of(
        Nodes.node("QuantizeLinear", in + "_q", List.of(in, "s", "z"), List.of(q)),
        Nodes.node("DequantizeLinear", in + "_dq", List.of(q, "s", "z"), List.of(dq)));
  }

  private static List<ai.onnx.proto.OnnxMl.TensorProto> scaleAndZero() {
    return List.of(
        TensorData.ofFloats("s", new long[0], new float[] {0.02f}),
        TensorData.ofBytes("z", DataType.UINT8, new long[0], new byte[] {0}));
  }

  private static NodeProto named(GraphProto g, String name) {
    return g.getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst().orElseThrow();
  }
}
