package io.octet.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.engine.LocalEngine;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import io.octet.testing.TestModels;
import io.octet.validate.Pooling;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QdqQuantizerTest {
  private static final QuantOptions OPTS = QuantOptions.defaults();
  private static final long[] IMAGE = {3, 8, 8};

  /** Calibrates on 64 random rows and quantizes. */
  private static OnnxModel quantize(OnnxModel fp32, QuantOptions opts, String input, long[] row) {
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
    List<Sample> calib = TestModels.randomRows(input, row, 64, 100, 1f);
    CalibrationTable table = LocalEngine.calibrate(prepared, calib, 16, 2048, 1);
    return Quantizer.quantize(fp32, opts, prepared, table, Map.of("config-hash", "c0ffee"));
  }

  @Test
  void convNetRunsInOrtAndTracksFp32Above30Db() {
    OnnxModel fp32 = new OnnxModel(TestModels.tinyConvNet(11, true), null, "tiny-conv");
    OnnxModel int8 = quantize(fp32, OPTS, "x", IMAGE);

    List<Sample> held = TestModels.randomRows("x", IMAGE, 200, 200, 1f);
    ValidationMetrics y =
        LocalEngine.validate(
            fp32, int8, held, new ValidationOptions("y", Pooling.NONE, "", 1), 50, 1);
    ValidationMetrics side =
        LocalEngine.validate(
            fp32, int8, held, new ValidationOptions("side", Pooling.NONE, "", 1), 50, 1);

    System.out.printf("tiny conv QDQ: SQNR y %.2f dB, side %.2f dB%n", y.sqnrDb(), side.sqnrDb());
    assertThat(y.rows()).isEqualTo(200);
    assertThat(y.sqnrDb()).as("SQNR of y on held-out random inputs").isGreaterThan(30);
    // side = ReduceMean(r0) reads the float Relu output, which skips r0's own Q/DQ rounding.
    assertThat(side.sqnrDb()).as("FP32 side branch").isGreaterThan(y.sqnrDb());
    List<String> ops =
        int8.proto().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    assertThat(ops)
        .as("QDQ form")
        .contains("QuantizeLinear", "DequantizeLinear", "Conv", "MaxPool");
  }

  @Test
  void biasScaleIsExactlyInputScaleTimesWeightScale() {
    OnnxModel fp32 = new OnnxModel(TestModels.tinyConvNet(12, false), null, "tiny-conv");
    OnnxModel int8 = quantize(fp32, OPTS, "x", IMAGE);
    GraphProto g = int8.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);

    for (String conv : List.of("conv0", "conv1")) {
      NodeProto n = TestModels.nodeNamed(g, conv);
      NodeProto actDq = index.producer(n.getInput(0)).orElseThrow();
      NodeProto wDq = index.producer(n.getInput(1)).orElseThrow();
      NodeProto bDq = index.producer(n.getInput(2)).orElseThrow();
      assertThat(List.of(actDq.getOpType(), wDq.getOpType(), bDq.getOpType()))
          .as("%s reads dequantized activation, weight and bias", conv)
          .containsOnly("DequantizeLinear");
      float inScale = floats(int8, index, actDq.getInput(1))[0];
      float[] wScales = floats(int8, index, wDq.getInput(1));
      float[] bScales = floats(int8, index, bDq.getInput(1));
      TensorProto bq = index.initializer(bDq.getInput(0)).orElseThrow();
      TensorProto wq = index.initializer(wDq.getInput(0)).orElseThrow();

      assertThat(bq.getDataType()).as("%s bias is int32", conv).isEqualTo(DataType.INT32_VALUE);
      assertThat(wq.getDataType()).as("%s weight is int8", conv).isEqualTo(DataType.INT8_VALUE);
      assertThat(Nodes.intAttr(wDq, "axis", -99)).as("per-channel axis").isZero();
      assertThat(wScales).as("%s one scale per output channel", conv).hasSize((int) wq.getDims(0));
      assertThat(bScales).hasSameSizeAs(wScales);
      for (int c = 0; c < wScales.length; c++) {
        assertThat(bScales[c])
            .as("%s channel %s bias scale", conv, c)
            .isEqualTo(inScale * wScales[c]);
      }
      assertThat(index.initializer(bDq.getInput(2)).orElseThrow().getDataType())
          .as("bias zero point type")
          .isEqualTo(DataType.INT32_VALUE);
      assertThat(TensorData.toLongs(index.initializer(bDq.getInput(2)).orElseThrow(), null, "m"))
          .as("bias zero points")
          .containsOnly(0L);
    }
  }

  @Test
  void fp32ConsumersOfAQuantizedTensorStillReadTheFloatTensor() {
    OnnxModel fp32 = new OnnxModel(TestModels.tinyConvNet(13, true), null, "tiny-conv");
    OnnxModel int8 = quantize(fp32, OPTS, "x", IMAGE);
    GraphProto g = int8.proto().getGraph();
    OnnxGraph index = new OnnxGraph(g);

    assertThat(TestModels.nodeNamed(g, "side0").getInputList())
        .as("ReduceMean (FP32) reads the Relu output itself")
        .containsExactly("r0");
    assertThat(TestModels.nodeNamed(g, "relu0").getInputList())
        .as("Relu (folded, FP32 op) reads the Conv output")
        .containsExactly("c0");
    String poolIn = TestModels.nodeNamed(g, "pool0").getInput(0);
    assertThat(index.producer(poolIn).orElseThrow().getOpType())
        .as("MaxPool between quantized tensors reads the DQ output")
        .isEqualTo("DequantizeLinear");
    assertThat(index.consumers("r0"))
        .extracting(NodeProto::getOpType)
        .as("readers of the float Relu output")
        .containsExactlyInAnyOrder("QuantizeLinear", "ReduceMean");
    assertThat(g.getOutputList()).extracting(v -> v.getName()).containsExactly("y", "side");
  }

  @Test
  void weightsOnlyQuantizedNodesUseAreRemovedSharedOnesKept() {
    // denseNet plus an FP32 reader of w_mm: w_mm must survive, w_gemm and c_gemm must not.
    ModelProto base = TestModels.denseNet(14);
    GraphProto g =
        base.getGraph().toBuilder()
            .addNode(
                Nodes.node(
                    "ReduceSum",
                    "wsum",
                    List.of("w_mm"),
                    List.of("w_total"),
                    Nodes.attr("keepdims", 0L)))
            .addOutput(Nodes.untyped("w_total"))
            .build();
    OnnxModel fp32 = new OnnxModel(base.toBuilder().setGraph(g).build(), null, "dense");

    OnnxModel int8 = quantize(fp32, OPTS, "x", new long[] {8});

    List<String> inits =
        int8.proto().getGraph().getInitializerList().stream().map(TensorProto::getName).toList();
    assertThat(inits)
        .as("float weights of quantized nodes removed")
        .doesNotContain("w_gemm", "c_gemm");
    assertThat(inits).as("weight also read by an FP32 node kept").contains("w_mm");
    assertThat(TestModels.nodeNamed(int8.proto().getGraph(), "mm0").getInput(1))
        .as("the MatMul reads the int8 copy")
        .isNotEqualTo("w_mm");
    float[] x = TestModels.uniform(new java.util.SplittableRandom(15), 8 * 4, 1f);
    Map<String, float[]> a = TestModels.run(fp32, "x", new long[] {4, 8}, x);
    Map<String, float[]> b = TestModels.run(int8, "x", new long[] {4, 8}, x);
    assertThat(b.get("w_total")).as("FP32 reader unchanged").containsExactly(a.get("w_total"));
    assertThat(TestModels.sqnrDb(a.get("y"), b.get("y"))).as("dense SQNR").isGreaterThan(25);
  }

  @Test
  void provenanceIsWrittenAndExistingMetadataKept() {
    ModelProto base = TestModels.denseNet(16);
    ModelProto withMeta =
        base.toBuilder()
            .addMetadataProps(StringStringEntryProto.newBuilder().setKey("author").setValue("me"))
            .build();

    OnnxModel int8 = quantize(new OnnxModel(withMeta, null, "dense"), OPTS, "x", new long[] {8});

    Map<String, String> prov = Provenance.read(int8.proto());
    assertThat(prov)
        .as("octet.* metadata")
        .containsEntry("mode", "static")
        .containsEntry("method", OPTS.method().configName())
        .containsEntry("config-hash", "c0ffee");
    assertThat(int8.proto().getMetadataPropsList())
        .as("the model's own metadata")
        .contains(StringStringEntryProto.newBuilder().setKey("author").setValue("me").build());
  }

  @Test
  void opset11ModelIsUpgradedAndItsQdqModelRunsAtOpset13() {
    // Unsqueeze/Squeeze/Softmax(axis=1) make the upgrade insert nodes before the quantized ones.
    java.util.SplittableRandom r = new java.util.SplittableRandom(17);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("v11")
            .addInput(Nodes.valueInfo("x", DataType.FLOAT_VALUE, "N", 3, 8, 8))
            .addOutput(Nodes.valueInfo("y", DataType.FLOAT_VALUE, "N", 5))
            .addInitializer(TestModels.weights("w", r, 0.4f, 4, 3, 3, 3))
            .addInitializer(TestModels.weights("b", r, 0.2f, 4))
            .addInitializer(TestModels.weights("w_fc", r, 0.3f, 5, 144))
            .addInitializer(TestModels.weights("b_fc", r, 0.2f, 5))
            .addNode(
                Nodes.node(
                    "Unsqueeze", "unsq", List.of("x"), List.of("u"), Nodes.attrInts("axes", 1)))
            .addNode(
                Nodes.node("Squeeze", "sq", List.of("u"), List.of("s"), Nodes.attrInts("axes", 1)))
            .addNode(Nodes.node("Conv", "conv", List.of("s", "w", "b"), List.of("c")))
            .addNode(Nodes.node("Relu", "relu", List.of("c"), List.of("r")))
            .addNode(Nodes.node("Flatten", "flat", List.of("r"), List.of("f")))
            .addNode(
                Nodes.node(
                    "Gemm",
                    "fc",
                    List.of("f", "w_fc", "b_fc"),
                    List.of("logits"),
                    Nodes.attr("transB", 1L)))
            .addNode(
                Nodes.node(
                    "Softmax", "sm", List.of("logits"), List.of("y"), Nodes.attr("axis", 1L)))
            .build();
    OnnxModel fp32 = new OnnxModel(TestModels.model(g, 11), null, "v11");

    OnnxModel int8 = quantize(fp32, OPTS, "x", IMAGE);

    assertThat(int8.opsetVersion("")).as("per-channel QDQ needs opset 13").isEqualTo(13);
    assertThat(TestModels.nodeNamed(int8.proto().getGraph(), "conv").getInput(1))
        .as("the Conv itself was rewritten")
        .isNotEqualTo("w");
    float[] x = TestModels.uniform(r, 6 * 3 * 8 * 8, 1f);
    float[] ref = TestModels.run(fp32, "x", new long[] {6, 3, 8, 8}, x).get("y");
    float[] got = TestModels.run(int8, "x", new long[] {6, 3, 8, 8}, x).get("y");
    assertThat(TestModels.sqnrDb(ref, got)).as("opset-11 model, INT8 vs FP32").isGreaterThan(30);
  }

  private static float[] floats(OnnxModel m, OnnxGraph g, String init) {
    return TensorData.toFloats(g.initializer(init).orElseThrow(), m.baseDir(), m.name());
  }
}
