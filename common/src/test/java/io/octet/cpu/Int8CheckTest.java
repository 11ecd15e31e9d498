package io.octet.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.error.QuantException;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.onnx.TensorData;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.testing.MiniLmData;
import io.octet.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The weight check on real INT8 models: ONNX Runtime's published MiniLM and Octet's own. */
class Int8CheckTest {

  @Test
  void onnxRuntimesPublishedMiniLmHasSevenBitWeightsAndNoSaturablePair() {
    OnnxModel q = OnnxModelIO.read(MiniLmData.ortInt8Model());
    Int8Check.Result r = Int8Check.check(q);
    System.out.print(r.toText(Target.PORTABLE));
    // Six layers x (Q, K, V, attention output, two FFN) MatMuls with constant int8 weights.
    assertThat(r.nodes()).hasSize(36);
    assertThat(r.saturable(Target.PORTABLE)).isEmpty();
    assertThat(r.nodes()).allSatisfy(n -> assertThat(n.worstPairSum()).isLessThanOrEqualTo(128));
  }

  @Test
  void fullRangeDynamicMiniLmIsFlaggedForAvx2OnlyAndPortableIsNot() {
    OnnxModel fp32 = OnnxModelIO.read(MiniLmData.fp32Model());
    QuantOptions dynamic = QuantOptions.defaults().withMode(QuantMode.DYNAMIC);
    OnnxModel full =
        Quantizer.quantize(
            fp32,
            dynamic.toBuilder().target(Target.VNNI, WeightEncoding.FULL_RANGE).build(),
            null,
            null,
            Map.of());
    Int8Check.Result fr = Int8Check.check(full);
    assertThat(fr.nodes()).hasSize(36);
    assertThat(fr.saturable(Target.PORTABLE)).isNotEmpty();
    assertThat(fr.saturable(Target.VNNI)).isEmpty();
    assertThat(fr.saturable(Target.ARM64)).isEmpty();
    assertThat(fr.toText(Target.PORTABLE)).contains("SATURABLE on avx2", "can saturate");

    OnnxModel portable = Quantizer.quantize(fp32, dynamic, null, null, Map.of());
    Int8Check.Result pr = Int8Check.check(portable);
    assertThat(pr.nodes()).hasSize(36);
    assertThat(pr.saturable(Target.PORTABLE)).isEmpty();
    assertThat(pr.toText(Target.PORTABLE)).contains("verdict for target portable: OK");
  }

  /** W[K=4, N=2] int8: column 0 holds the same-sign pair (100, 100) in rows 0 and 1. */
  private static byte[] weights(boolean oppositeSigns) {
    byte[] w = new byte[8];
    w[0] = 100;
    w[2] = (byte) (oppositeSigns ? -100 : 100);
    w[1] = 3;
    w[3] = 4;
    return w;
  }

  private static OnnxModel model(List<NodeProto> nodes, List<TensorProto> inits, String name) {
    GraphProto.Builder g =
        GraphProto.newBuilder()
            .setName(name)
            .addInput(Nodes.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, "B", 4))
            .addOutput(Nodes.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, "B", 2))
            .addAllInitializer(inits)
            .addInitializer(TensorData.ofFloats("s", new long[0], new float[] {0.01f}))
            .addInitializer(
                TensorData.ofBytes("z", TensorProto.DataType.INT8, new long[0], new byte[1]));
    nodes.forEach(g::addNode);
    return OnnxModelIO.read(TestModels.model(g.build(), 13).toByteArray(), name);
  }

  private static NodeProto node(
      String op, List<String> in, String out, ai.onnx.proto.OnnxMl.AttributeProto... a) {
    return Nodes.node(op, op + "_" + out, in, List.of(out), a);
  }

  @Test
  void followsTheWeightThroughLayoutOpsOnEitherSideOfTheDequantize() {
    // W^T stored as [N=2, K=4], transposed back before the DequantizeLinear, then an Identity.
    byte[] w = weights(false);
    byte[] wt = new byte[8];
    for (int k = 0; k < 4; k++) {
      for (int n = 0; n < 2; n++) {
        wt[n * 4 + k] = w[k * 2 + n];
      }
    }
    List<TensorProto> inits =
        List.of(TensorData.ofBytes("wt", TensorProto.DataType.INT8, new long[] {2, 4}, wt));
    List<NodeProto> nodes = new ArrayList<>();
    nodes.add(node("Transpose", List.of("wt"), "w", Nodes.attrInts("perm", 1, 0)));
    nodes.add(node("DequantizeLinear", List.of("w", "s", "z"), "wf"));
    nodes.add(node("Identity", List.of("wf"), "wi"));
    nodes.add(node("MatMul", List.of("x", "wi"), "y"));
    Int8Check.Result r = Int8Check.check(model(nodes, inits, "transposed"));
    assertThat(r.nodes()).hasSize(1);
    assertThat(r.nodes().get(0).worstPairSum()).isEqualTo(200);
    assertThat(r.saturable(Target.PORTABLE)).hasSize(1);
    assertThat(r.safeOn(Target.VNNI)).isTrue();
  }

  @Test
  void oppositeSignsAndAnInt8LeftOperandCannotSaturate() {
    List<TensorProto> inits =
        List.of(
            TensorData.ofBytes("w", TensorProto.DataType.INT8, new long[] {4, 2}, weights(true)));
    List<NodeProto> nodes = new ArrayList<>();
    nodes.add(node("DequantizeLinear", List.of("w", "s", "z"), "wf"));
    nodes.add(node("MatMul", List.of("x", "wf"), "y"));
    assertThat(Int8Check.check(model(nodes, inits, "opposite")).safeOn(Target.PORTABLE)).isTrue();

    // The same-sign weight as the LEFT operand is not the packed B of the GEMM.
    List<TensorProto> left =
        List.of(
            TensorData.ofBytes("w", TensorProto.DataType.INT8, new long[] {2, 4}, weights(false)));
    List<NodeProto> leftNodes = new ArrayList<>();
    leftNodes.add(node("DequantizeLinear", List.of("w", "s", "z"), "wf"));
    leftNodes.add(node("Transpose", List.of("x"), "xt"));
    leftNodes.add(node("MatMul", List.of("wf", "xt"), "y"));
    Int8Check.Result r = Int8Check.check(model(leftNodes, left, "left"));
    assertThat(r.nodes()).isEmpty();
    assertThat(r.safeOn(Target.PORTABLE)).isTrue();
  }

  @Test
  void anUnmodelledKernelReadingInt8WeightsIsNotCheckedNotSafe() {
    List<TensorProto> inits =
        List.of(
            TensorData.ofBytes("w", TensorProto.DataType.INT8, new long[] {4, 2}, weights(false)));
    NodeProto lstm =
        Nodes.node("DynamicQuantizeLSTM", "lstm", List.of("x", "w"), List.of("y")).toBuilder()
            .setDomain("com.microsoft")
            .build();
    Int8Check.Result r = Int8Check.check(model(List.of(lstm), inits, "lstm"));
    assertThat(r.skipped()).singleElement().asString().contains("lstm", "not modelled");
    assertThat(r.safeOn(Target.PORTABLE)).isFalse();
    assertThat(r.toText(Target.PORTABLE)).contains("UNKNOWN");

    // QAttention's weight (input 1) is the B of a u8 x s8 GEMM: checked.
    NodeProto qa =
        Nodes.node("QAttention", "qa", List.of("x", "w"), List.of("y")).toBuilder()
            .setDomain("com.microsoft")
            .build();
    Int8Check.Result a = Int8Check.check(model(List.of(qa), inits, "qattention"));
    assertThat(a.saturable(Target.PORTABLE)).hasSize(1);
  }

  @Test
  void aTensorShorterThanItsShapeIsABadModel() {
    TensorProto shortRaw =
        TensorData.ofBytes("w", TensorProto.DataType.INT8, new long[] {4, 2}, weights(false))
            .toBuilder()
            .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[5]))
            .build();
    List<NodeProto> nodes = List.of(node("MatMulInteger", List.of("x", "w"), "y"));
    assertThatThrownBy(() -> Int8Check.check(model(nodes, List.of(shortRaw), "short")))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("holds 5 bytes");
  }
}
