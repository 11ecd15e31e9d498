package io.octet.testing;

import static ai.onnx.proto.OnnxMl.TensorProto.DataType.BOOL_VALUE;
import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
import static ai.onnx.proto.OnnxMl.TensorProto.DataType.INT64_VALUE;
import static io.octet.onnx.Nodes.attr;
import static io.octet.onnx.Nodes.attrInts;
import static io.octet.onnx.Nodes.node;
import static io.octet.onnx.Nodes.valueInfo;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import io.octet.runtime.OrtRuntime;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small ONNX models built in code (after ONNX Runtime's {@code ModelGenerators}): readable source
 * instead of opaque binaries, seeded weights, and a few ORT helpers to run them.
 *
 * <p>Every model uses the default domain at opset 13 unless its name says otherwise, IR version 8,
 * and a symbolic batch dimension {@code N}.
 */
public final class TestModels {
  /** IR version of the generated models (ONNX 1.10+, read by every ORT this project uses). */
  public static final long IR_VERSION = 8;

  private TestModels() {}

  /**
   * Conv → Relu → MaxPool → Conv on x [N, 3, 8, 8], output y [N, 5, 2, 2]; nodes conv0, relu0,
   * pool0, conv1 with initializers w0, b0, w1, b1.
   *
   * @param seed weight seed
   * @param sideBranch also output side = ReduceMean(relu0 output), an FP32-only reader of a
   *     quantized tensor
   * @return the model
   */
  public static ModelProto tinyConvNet(long seed, boolean sideBranch) {
    SplittableRandom r = new SplittableRandom(seed);
    GraphProto.Builder g =
        GraphProto.newBuilder()
            .setName("tiny_conv")
            .addInput(valueInfo("x", FLOAT_VALUE, "N", 3, 8, 8))
            .addOutput(valueInfo("y", FLOAT_VALUE, "N", 5, 2, 2))
            .addInitializer(weights("w0", r, 0.4f, 4, 3, 3, 3))
            .addInitializer(weights("b0", r, 0.2f, 4))
            .addInitializer(weights("w1", r, 0.3f, 5, 4, 3, 3))
            .addInitializer(weights("b1", r, 0.2f, 5))
            .addNode(
                node(
                    "Conv",
                    "conv0",
                    List.of("x", "w0", "b0"),
                    List.of("c0"),
                    attrInts("pads", 1, 1, 1, 1),
                    attrInts("kernel_shape", 3, 3)))
            .addNode(node("Relu", "relu0", List.of("c0"), List.of("r0")))
            .addNode(
                node(
                    "MaxPool",
                    "pool0",
                    List.of("r0"),
                    List.of("p0"),
                    attrInts("kernel_shape", 2, 2),
                    attrInts("strides", 2, 2)))
            .addNode(
                node(
                    "Conv",
                    "conv1",
                    List.of("p0", "w1", "b1"),
                    List.of("y"),
                    attrInts("kernel_shape", 3, 3)));
    if (sideBranch) {
      g.addNode(
          node(
              "ReduceMean",
              "side0",
              List.of("r0"),
              List.of("side"),
              attrInts("axes", 1, 2, 3),
              attr("keepdims", 0L)));
      g.addOutput(valueInfo("side", FLOAT_VALUE, "N"));
    }
    return model(g.build(), 13);
  }

  /**
   * Gemm(transB=1) → Relu → MatMul on x [N, 8]: nodes gemm0 (w_gemm [6, 8], c_gemm [6]), relu0, mm0
   * (w_mm [6, 4]); output y [N, 4].
   *
   * @param seed weight seed
   * @return the model
   */
  public static ModelProto denseNet(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("dense")
            .addInput(valueInfo("x", FLOAT_VALUE, "N", 8))
            .addOutput(valueInfo("y", FLOAT_VALUE, "N", 4))
            .addInitializer(weights("w_gemm", r, 0.5f, 6, 8))
            .addInitializer(weights("c_gemm", r, 0.1f, 6))
            .addInitializer(weights("w_mm", r, 0.5f, 6, 4))
            .addNode(
                node(
                    "Gemm",
                    "gemm0",
                    List.of("x", "w_gemm", "c_gemm"),
                    List.of("g0"),
                    attr("transB", 1L)))
            .addNode(node("Relu", "relu0", List.of("g0"), List.of("r0")))
            .addNode(node("MatMul", "mm0", List.of("r0", "w_mm"), List.of("y")))
            .build();
    return model(g, 13);
  }

  /**
   * A two-layer perceptron for the weight-only modes: x [N, 64] → MatMul(w1 [64, 32]) → Add(b1) →
   * Relu → MatMul(w2 [32, 16]) → Softmax → y [N, 16].
   *
   * @param seed weight seed
   * @return the model
   */
  public static ModelProto mlp(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("mlp")
            .addInput(valueInfo("x", FLOAT_VALUE, "N", 64))
            .addOutput(valueInfo("y", FLOAT_VALUE, "N", 16))
            .addInitializer(weights("w1", r, 0.25f, 64, 32))
            .addInitializer(weights("b1", r, 0.1f, 32))
            .addInitializer(weights("w2", r, 0.35f, 32, 16))
            .addNode(node("MatMul", "mm1", List.of("x", "w1"), List.of("h1")))
            .addNode(node("Add", "add1", List.of("h1", "b1"), List.of("a1")))
            .addNode(node("Relu", "relu1", List.of("a1"), List.of("r1")))
            .addNode(node("MatMul", "mm2", List.of("r1", "w2"), List.of("logits")))
            .addNode(node("Softmax", "softmax", List.of("logits"), List.of("y"), attr("axis", -1L)))
            .build();
    return model(g, 13);
  }

  /**
   * An If whose branches read outer tensors: h = MatMul(x, w1); cond = ReduceSum(x) > 0; then:
   * Add(h, x); else: MatMul(h, w1) (the outer weight a quantized node also reads) then Mul by the
   * outer initializer k; y = MatMul(If output, w2). x [N, 6], y [N, 3].
   *
   * @param seed weight seed
   * @return the model
   */
  public static ModelProto ifModel(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    GraphProto thenBranch =
        GraphProto.newBuilder()
            .setName("then_body")
            .addNode(node("Add", "then_add", List.of("h", "x"), List.of("then_out")))
            .addOutput(valueInfo("then_out", FLOAT_VALUE, "N", 6))
            .build();
    GraphProto elseBranch =
        GraphProto.newBuilder()
            .setName("else_body")
            .addInitializer(TensorData.ofFloats("else_shift", new long[] {6}, fill(6, 0.25f)))
            .addNode(node("MatMul", "else_mm", List.of("h", "w1"), List.of("else_mm_out")))
            .addNode(node("Mul", "else_mul", List.of("else_mm_out", "k"), List.of("else_mul_out")))
            .addNode(
                node("Add", "else_add", List.of("else_mul_out", "else_shift"), List.of("else_out")))
            .addOutput(valueInfo("else_out", FLOAT_VALUE, "N", 6))
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("if_model")
            .addInput(valueInfo("x", FLOAT_VALUE, "N", 6))
            .addOutput(valueInfo("y", FLOAT_VALUE, "N", 3))
            .addInitializer(weights("w1", r, 0.4f, 6, 6))
            .addInitializer(weights("w2", r, 0.4f, 6, 3))
            .addInitializer(weights("k", r, 1f, 6))
            .addInitializer(TensorData.ofFloats("zero", new long[0], new float[] {0f}))
            .addNode(node("MatMul", "mm_in", List.of("x", "w1"), List.of("h")))
            .addNode(node("ReduceSum", "sum_x", List.of("x"), List.of("sx"), attr("keepdims", 0L)))
            .addNode(node("Greater", "positive", List.of("sx", "zero"), List.of("cond")))
            .addNode(
                node(
                    "If",
                    "branch",
                    List.of("cond"),
                    List.of("chosen"),
                    attr("then_branch", thenBranch),
                    attr("else_branch", elseBranch)))
            .addNode(node("MatMul", "mm_out", List.of("chosen", "w2"), List.of("y")))
            .build();
    return model(g, 13);
  }

  /**
   * A Loop that runs 3 times over a loop-carried value and reads outer tensors: h = MatMul(x, w1);
   * body: v = v * 0.5 + x (x read from the outer scope, 0.5 a body initializer); y = MatMul(loop
   * output, w2). x [N, 6], y [N, 3].
   *
   * @param seed weight seed
   * @return the model
   */
  public static ModelProto loopModel(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    GraphProto body =
        GraphProto.newBuilder()
            .setName("loop_body")
            .addInput(valueInfo("iter", INT64_VALUE, new long[0]))
            .addInput(valueInfo("cond_in", BOOL_VALUE, new long[0]))
            .addInput(valueInfo("v_in", FLOAT_VALUE, "N", 6))
            .addInitializer(TensorData.ofFloats("half", new long[0], new float[] {0.5f}))
            .addNode(node("Identity", "keep_going", List.of("cond_in"), List.of("cond_out")))
            .addNode(node("Mul", "decay", List.of("v_in", "half"), List.of("v_half")))
            .addNode(node("Add", "feed", List.of("v_half", "x"), List.of("v_out")))
            .addOutput(valueInfo("cond_out", BOOL_VALUE, new long[0]))
            .addOutput(valueInfo("v_out", FLOAT_VALUE, "N", 6))
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("loop_model")
            .addInput(valueInfo("x", FLOAT_VALUE, "N", 6))
            .addOutput(valueInfo("y", FLOAT_VALUE, "N", 3))
            .addInitializer(weights("w1", r, 0.4f, 6, 6))
            .addInitializer(weights("w2", r, 0.4f, 6, 3))
            .addInitializer(TensorData.ofLongs("trips", new long[0], new long[] {3}))
            .addNode(node("MatMul", "mm_in", List.of("x", "w1"), List.of("h")))
            .addNode(
                node("Loop", "loop", List.of("trips", "", "h"), List.of("v"), attr("body", body)))
            .addNode(node("MatMul", "mm_out", List.of("v", "w2"), List.of("y")))
            .build();
    return model(g, 13);
  }

  /**
   * Wraps a graph in a model importing the default domain at {@code opset}.
   *
   * @param g the graph
   * @param opset the default-domain opset
   * @return the model
   */
  public static ModelProto model(GraphProto g, long opset) {
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("octet-tests")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(g)
        .build();
  }

  /**
   * A float initializer of uniform values in [-scale, scale).
   *
   * @param name the tensor name
   * @param r the seeded generator
   * @param scale the half-width
   * @param dims the shape
   * @return the tensor
   */
  public static TensorProto weights(String name, SplittableRandom r, float scale, long... dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return TensorData.ofFloats(name, dims, uniform(r, (int) n, scale));
  }

  /**
   * Uniform values in [-scale, scale).
   *
   * @param r the seeded generator
   * @param n how many
   * @param scale the half-width
   * @return the values
   */
  public static float[] uniform(SplittableRandom r, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    }
    return v;
  }

  private static float[] fill(int n, float v) {
    float[] out = new float[n];
    java.util.Arrays.fill(out, v);
    return out;
  }

  /**
   * Random rows of one float input.
   *
   * @param input the input name
   * @param rowShape the shape of one row (without the batch dimension)
   * @param n how many rows
   * @param seed the seed
   * @param scale values are uniform in [-scale, scale)
   * @return the rows, ids "r0".."r{n-1}", unlabeled
   */
  public static List<Sample> randomRows(
      String input, long[] rowShape, int n, long seed, float scale) {
    SplittableRandom r = new SplittableRandom(seed);
    int size = 1;
    for (long d : rowShape) {
      size *= (int) d;
    }
    List<Sample> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(
          new Sample(
              "r" + i, Map.of(input, TensorValue.ofFloats(rowShape, uniform(r, size, scale))), -1));
    }
    return rows;
  }

  /**
   * Runs a model on one float input and returns every float output, flattened.
   *
   * @param model the model (external data resolved against its directory)
   * @param input the input name
   * @param shape the full input shape, batch included
   * @param data the input values
   * @return outputs by name, in the session's output order
   */
  public static Map<String, float[]> run(
      OnnxModel model, String input, long[] shape, float[] data) {
    try (OrtSession s = OrtRuntime.open(model, new OrtRuntime.SessionSettings(1, true))) {
      return run(s, input, shape, data);
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Runs a model file (ONNX Runtime reads it, external data included) on one float input.
   *
   * @param file the model file
   * @param input the input name
   * @param shape the full input shape
   * @param data the input values
   * @return outputs by name
   */
  public static Map<String, float[]> run(Path file, String input, long[] shape, float[] data) {
    try (OrtSession s = OrtRuntime.open(file, new OrtRuntime.SessionSettings(1, true))) {
      return run(s, input, shape, data);
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Runs an open session on one float input.
   *
   * @param s the session
   * @param input the input name
   * @param shape the full input shape
   * @param data the input values
   * @return float outputs by name
   * @throws OrtException if the run fails
   */
  public static Map<String, float[]> run(OrtSession s, String input, long[] shape, float[] data)
      throws OrtException {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.env(), FloatBuffer.wrap(data), shape);
        OrtSession.Result r = s.run(Map.of(input, t))) {
      for (Map.Entry<String, OnnxValue> e : r) {
        if (e.getValue() instanceof OnnxTensor ot
            && ot.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT) {
          FloatBuffer fb = ot.getFloatBuffer();
          float[] v = new float[fb.remaining()];
          fb.get(v);
          out.put(e.getKey(), v);
        }
      }
    }
    return out;
  }

  /**
   * Signal-to-quantization-noise ratio of {@code test} against {@code ref}, in dB.
   *
   * @param ref the reference values
   * @param test the approximation
   * @return 10·log10(Σ ref² / Σ (ref − test)²)
   */
  public static double sqnrDb(float[] ref, float[] test) {
    double s = 0;
    double n = 0;
    for (int i = 0; i < ref.length; i++) {
      s += (double) ref[i] * ref[i];
      double d = (double) ref[i] - test[i];
      n += d * d;
    }
    return 10 * Math.log10(s / n);
  }

  /**
   * Cosine similarity of two vectors.
   *
   * @param a one vector
   * @param b another of the same length
   * @return the cosine
   */
  public static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  /**
   * Finds a node by name in a graph.
   *
   * @param g the graph
   * @param name the node name
   * @return the node
   * @throws IllegalArgumentException if absent
   */
  public static NodeProto nodeNamed(GraphProto g, String name) {
    return g.getNodeList().stream()
        .filter(n -> n.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("No node named " + name));
  }

  /**
   * Returns the names of the graph's inputs or outputs with their element types.
   *
   * @param values the value infos
   * @return name → ONNX element type
   */
  public static Map<String, Integer> elemTypes(List<ValueInfoProto> values) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (ValueInfoProto v : values) {
      out.put(v.getName(), v.getType().getTensorType().getElemType());
    }
    return out;
  }

  /**
   * The digits CNN with a first output "features" [N, 64] whose argmax is never a class index, then
   * the logits: accuracy on the first output is exactly 0 (the validation-output rule's fixture).
   */
  public static ModelProto withFeaturesFirst(ModelProto m) {
    GraphProto.Builder g = m.getGraph().toBuilder();
    TensorProto.Builder bias =
        TensorProto.newBuilder()
            .setName("features_bias")
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .addDims(64);
    for (int i = 0; i < 64; i++) {
      bias.addFloatData(i < 10 ? -1e6f : 1e6f);
    }
    g.addInitializer(bias);
    g.addNode(
        NodeProto.newBuilder()
            .setName("features_flatten")
            .setOpType("Flatten")
            .addInput(g.getInput(0).getName())
            .addOutput("features_flat"));
    g.addNode(
        NodeProto.newBuilder()
            .setName("features_add")
            .setOpType("Add")
            .addInput("features_flat")
            .addInput("features_bias")
            .addOutput("features"));
    ValueInfoProto logitsOut = g.getOutput(0);
    ValueInfoProto features =
        ValueInfoProto.newBuilder()
            .setName("features")
            .setType(
                TypeProto.newBuilder()
                    .setTensorType(
                        TypeProto.Tensor.newBuilder()
                            .setElemType(TensorProto.DataType.FLOAT_VALUE)))
            .build();
    g.clearOutput().addOutput(features).addOutput(logitsOut);
    return m.toBuilder().setGraph(g).build();
  }
}
