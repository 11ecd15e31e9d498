package io.octet.quant;

import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT16_VALUE;
import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.testing.TestModels;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Dynamic INT8, FP16 and weight-only INT4 on small in-code models. */
class WeightModesTest {
  private static final QuantOptions DEFAULTS = QuantOptions.defaults();

  private static float[] input(int rows, int cols, long seed) {
    return TestModels.uniform(new SplittableRandom(seed), rows * cols, 1f);
  }

  private static OnnxModel quantize(ModelProto proto, QuantOptions opts) {
    return Quantizer.quantize(new OnnxModel(proto, null, "m"), opts, null, null, Map.of());
  }

  @Test
  void dynamicReplacesMatMulsWithIntegerKernelsSharingOneActivationQuantizer() {
    OnnxModel fp32 = new OnnxModel(TestModels.mlp(51), null, "mlp");
    OnnxModel q = quantize(fp32.proto(), DEFAULTS.withMode(QuantMode.DYNAMIC));
    GraphProto g = q.proto().getGraph();

    assertThat(g.getNodeList())
        .extracting(NodeProto::getOpType)
        .as("dynamic pattern")
        .contains("DynamicQuantizeLinear", "MatMulInteger")
        .doesNotContain("MatMul");
    assertThat(g.getInitializerList())
        .extracting(TensorProto::getName)
        .as("float weights replaced")
        .doesNotContain("w1", "w2")
        .contains("b1");
    NodeProto mmi =
        g.getNodeList().stream()
            .filter(n -> n.getOpType().equals("MatMulInteger"))
            .findFirst()
            .orElseThrow();
    OnnxGraph index = new OnnxGraph(g);
    TensorProto w = index.initializer(mmi.getInput(1)).orElseThrow();
    assertThat(w.getDataType()).as("int8 weights").isEqualTo(TensorProto.DataType.INT8_VALUE);
    assertThat(Provenance.read(q.proto())).containsEntry("mode", "dynamic");
    float[] x = input(8, 64, 52);
    float[] ref = TestModels.run(fp32, "x", new long[] {8, 64}, x).get("y");
    float[] got = TestModels.run(q, "x", new long[] {8, 64}, x).get("y");
    assertThat(TestModels.sqnrDb(ref, got)).as("dynamic SQNR").isGreaterThan(30);
  }

  @Test
  void fp16KeepsFloat32BoundariesAndListedOpsInFp32WithCasts() {
    SplittableRandom r = new SplittableRandom(53);
    GraphProto sandwich =
        GraphProto.newBuilder()
            .setName("sandwich")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", 16))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 8))
            .addInitializer(TestModels.weights("wa", r, 0.5f, 16, 16))
            .addInitializer(TestModels.weights("wb", r, 0.5f, 16, 8))
            .addNode(Nodes.node("MatMul", "mm_a", List.of("x", "wa"), List.of("a")))
            .addNode(
                Nodes.node("Softmax", "sm", List.of("a"), List.of("s"), Nodes.attr("axis", -1L)))
            .addNode(Nodes.node("MatMul", "mm_b", List.of("s", "wb"), List.of("y")))
            .build();
    OnnxModel fp32 = new OnnxModel(TestModels.model(sandwich, 13), null, "sandwich");

    OnnxModel h = quantize(fp32.proto(), DEFAULTS.withMode(QuantMode.FP16));
    GraphProto g = h.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);

    assertThat(TestModels.elemTypes(g.getInputList())).as("inputs").containsEntry("x", FLOAT_VALUE);
    assertThat(TestModels.elemTypes(g.getOutputList()))
        .as("outputs")
        .containsEntry("y", FLOAT_VALUE);
    assertThat(g.getInitializerList())
        .extracting(TensorProto::getDataType)
        .as("weights are half precision")
        .containsOnly(FLOAT16_VALUE);
    NodeProto sm = TestModels.nodeNamed(g, "sm");
    NodeProto before = index.producer(sm.getInput(0)).orElseThrow();
    assertThat(before.getOpType()).as("Softmax input cast").isEqualTo("Cast");
    assertThat(Nodes.intAttr(before, "to", 0)).as("to float32").isEqualTo(FLOAT_VALUE);
    List<NodeProto> after = index.consumers(sm.getOutput(0));
    assertThat(after)
        .extracting(NodeProto::getOpType)
        .as("Softmax output cast")
        .containsExactly("Cast");
    assertThat(Nodes.intAttr(after.get(0), "to", 0)).as("back to float16").isEqualTo(FLOAT16_VALUE);
    assertThat(index.producer("y").orElseThrow().getOpType()).as("output cast").isEqualTo("Cast");
    float[] x = input(4, 16, 54);
    float[] ref = TestModels.run(fp32, "x", new long[] {4, 16}, x).get("y");
    float[] got = TestModels.run(h, "x", new long[] {4, 16}, x).get("y");
    assertThat(TestModels.sqnrDb(ref, got)).as("fp16 SQNR").isGreaterThan(45);
  }

  @Test
  void fp16LeavesNoDeadCastsWhenAKeptOpWritesAGraphOutput() {
    OnnxModel fp32 = new OnnxModel(TestModels.mlp(55), null, "mlp");
    OnnxModel h = quantize(fp32.proto(), DEFAULTS.withMode(QuantMode.FP16));
    GraphProto g = h.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);

    for (NodeProto n : g.getNodeList()) {
      for (String o : n.getOutputList()) {
        assertThat(!index.consumers(o).isEmpty() || index.isGraphOutput(o))
            .as("output '%s' of %s '%s' is used", o, n.getOpType(), n.getName())
            .isTrue();
      }
    }
    assertThat(index.producer("y").orElseThrow().getOpType())
        .as("Softmax (kept FP32) writes the output directly")
        .isEqualTo("Softmax");
    float[] x = input(4, 64, 56);
    float[] ref = TestModels.run(fp32, "x", new long[] {4, 64}, x).get("y");
    float[] got = TestModels.run(h, "x", new long[] {4, 64}, x).get("y");
    assertThat(TestModels.sqnrDb(ref, got)).as("fp16 SQNR").isGreaterThan(45);
  }

  @ParameterizedTest(name = "symmetric={0}")
  @ValueSource(booleans = {true, false})
  void int4EmitsMatMulNBitsWithTheRightShapeAttributesAndRunsInOrt(boolean symmetric) {
    // K = 40 is not a multiple of the block size: the last block is padded.
    SplittableRandom r = new SplittableRandom(57);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("int4")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", 40))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 24))
            .addInitializer(TestModels.weights("w", r, 0.5f, 40, 24))
            .addNode(Nodes.node("MatMul", "mm", List.of("x", "w"), List.of("y")))
            .build();
    OnnxModel fp32 = new OnnxModel(TestModels.model(graph, 13), null, "int4");
    QuantOptions opts = int4Options(32, symmetric);

    OnnxModel q = quantize(fp32.proto(), opts);
    GraphProto g = q.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);

    NodeProto n = g.getNode(0);
    assertThat(g.getNodeCount()).isEqualTo(1);
    assertThat(n.getDomain()).isEqualTo(OnnxModel.MICROSOFT_DOMAIN);
    assertThat(n.getOpType()).isEqualTo("MatMulNBits");
    assertThat(
            List.of(
                Nodes.intAttr(n, "K", 0),
                Nodes.intAttr(n, "N", 0),
                Nodes.intAttr(n, "bits", 0),
                Nodes.intAttr(n, "block_size", 0)))
        .as("K, N, bits, block_size")
        .containsExactly(40L, 24L, 4L, 32L);
    assertThat(q.opsetVersion(OnnxModel.MICROSOFT_DOMAIN))
        .as("contrib opset imported")
        .isEqualTo(1);
    TensorProto b = index.initializer(n.getInput(1)).orElseThrow();
    assertThat(b.getDimsList()).as("B is [N, blocks, blob]").containsExactly(24L, 2L, 16L);
    assertThat(b.getDataType()).isEqualTo(TensorProto.DataType.UINT8_VALUE);
    assertThat(index.initializer(n.getInput(2)).orElseThrow().getDimsList())
        .as("one scale per column and block")
        .containsExactly(48L);
    assertThat(n.getInputCount())
        .as("zero points only when asymmetric")
        .isEqualTo(symmetric ? 3 : 4);
    assertThat(g.getInitializerList()).extracting(TensorProto::getName).doesNotContain("w");
    float[] x = input(6, 40, 58);
    float[] ref = TestModels.run(fp32, "x", new long[] {6, 40}, x).get("y");
    float[] got = TestModels.run(q, "x", new long[] {6, 40}, x).get("y");
    double sqnr = TestModels.sqnrDb(ref, got);
    System.out.printf("int4 symmetric=%s SQNR %.2f dB%n", symmetric, sqnr);
    assertThat(sqnr).as("int4 SQNR (4-bit weights: ~6 dB per bit)").isGreaterThan(15);
  }

  @Test
  void embeddingTablesAreStoredAsUint8AndDequantizedAfterTheLookup() {
    SplittableRandom r = new SplittableRandom(59);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("embed")
            .addInput(Nodes.valueInfo("x", FLOAT_VALUE, "N", 4))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", 4, 16))
            .addInitializer(TestModels.weights("table", r, 2f, 50, 16))
            .addNode(
                Nodes.node(
                    "Cast",
                    "ids",
                    List.of("x"),
                    List.of("i"),
                    Nodes.attr("to", (long) TensorProto.DataType.INT64_VALUE)))
            .addNode(Nodes.node("Gather", "lookup", List.of("table", "i"), List.of("y")))
            .build();
    OnnxModel fp32 = new OnnxModel(TestModels.model(graph, 13), null, "embed");

    OnnxModel q =
        quantize(fp32.proto(), DEFAULTS.withMode(QuantMode.DYNAMIC).withQuantizeEmbeddings(true));
    GraphProto g = q.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);

    NodeProto gather = TestModels.nodeNamed(g, "lookup");
    assertThat(index.initializer(gather.getInput(0)).orElseThrow().getDataType())
        .as("table stored as uint8")
        .isEqualTo(TensorProto.DataType.UINT8_VALUE);
    assertThat(index.producer("y").orElseThrow().getOpType()).isEqualTo("DequantizeLinear");
    assertThat(g.getInitializerList()).extracting(TensorProto::getName).doesNotContain("table");
    float[] ids = {0, 49, 7, 7, 13, 21, 34, 2};
    float[] ref = TestModels.run(fp32, "x", new long[] {2, 4}, ids).get("y");
    float[] got = TestModels.run(q, "x", new long[] {2, 4}, ids).get("y");
    float step = 4f / 255; // the table spans about [-2, 2] in 255 steps
    for (int i = 0; i < ref.length; i++) {
      assertThat(got[i])
          .as("element %s within half a step", i)
          .isCloseTo(ref[i], org.assertj.core.data.Offset.offset(step / 2 * 1.01f));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"if", "loop"})
  void fp16KeepsControlFlowBodiesInFp32AndTheyStillRun(String kind) {
    ModelProto proto = kind.equals("if") ? TestModels.ifModel(60) : TestModels.loopModel(60);
    OnnxModel fp32 = new OnnxModel(proto, null, kind);

    OnnxModel h = quantize(proto, DEFAULTS.withMode(QuantMode.FP16));

    NodeProto cf =
        h.proto().getGraph().getNodeList().stream()
            .filter(n -> n.getOpType().equals("If") || n.getOpType().equals("Loop"))
            .findFirst()
            .orElseThrow();
    OnnxGraph index = new OnnxGraph(h.proto().getGraph());
    java.util.Set<String> outerReads = new java.util.TreeSet<>();
    for (ai.onnx.proto.OnnxMl.AttributeProto a : cf.getAttributeList()) {
      if (a.hasG()) {
        java.util.Set<String> defined = new java.util.HashSet<>();
        a.getG().getInputList().forEach(v -> defined.add(v.getName()));
        a.getG().getInitializerList().forEach(t -> defined.add(t.getName()));
        a.getG().getNodeList().forEach(n -> defined.addAll(n.getOutputList()));
        a.getG()
            .getNodeList()
            .forEach(
                n ->
                    n.getInputList().stream()
                        .filter(i -> !i.isEmpty() && !defined.contains(i))
                        .forEach(outerReads::add));
      }
    }
    assertThat(outerReads).as("%s bodies read outer tensors", kind).isNotEmpty();
    for (String outer : outerReads) {
      boolean f32 =
          index.isGraphInput(outer)
              || index
                  .producer(outer)
                  .map(
                      p -> p.getOpType().equals("Cast") && Nodes.intAttr(p, "to", 0) == FLOAT_VALUE)
                  .orElse(false)
              || index.initializer(outer).map(t -> t.getDataType() == FLOAT_VALUE).orElse(false);
      assertThat(f32).as("outer tensor '%s' read by the %s body is FP32", outer, kind).isTrue();
    }
    for (float shift : new float[] {0.6f, -0.6f}) {
      float[] x = TestModels.uniform(new SplittableRandom(61), 3 * 6, 0.5f);
      for (int i = 0; i < x.length; i++) {
        x[i] += shift;
      }
      float[] ref = TestModels.run(fp32, "x", new long[] {3, 6}, x).get("y");
      float[] got = TestModels.run(h, "x", new long[] {3, 6}, x).get("y");
      assertThat(TestModels.sqnrDb(ref, got))
          .as("%s fp16, shift %s", kind, shift)
          .isGreaterThan(45);
    }
  }

  static QuantOptions int4Options(int blockSize, boolean symmetric) {
    QuantOptions d = DEFAULTS;
    return new QuantOptions(
        QuantMode.WEIGHT_ONLY_INT4,
        d.method(),
        d.percentile(),
        d.activationType(),
        d.activationSymmetric(),
        d.perChannel(),
        d.opTypes(),
        d.includeNodes(),
        d.excludeNodes(),
        d.excludeOpTypes(),
        d.tensorOverrides(),
        d.quantizeEmbeddings(),
        blockSize,
        symmetric,
        d.fp16KeepOpTypes(),
        d.target(),
        d.weightEncoding());
  }
}
