package io.octet.quant;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import io.octet.calib.Int8Math;
import io.octet.calib.PerChannelWeights;
import io.octet.calib.QuantParams;
import io.octet.calib.QuantType;
import io.octet.cpu.EncodedWeights;
import io.octet.cpu.WeightEncoding;
import io.octet.error.QuantErrors;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxGraph;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OpsetUpgrader;
import io.octet.onnx.TensorData;
import io.octet.quant.QuantPlan.ActivationQuant;
import io.octet.quant.QuantPlan.NodeQuant;
import io.octet.quant.QuantPlan.Source;
import io.octet.quant.QuantPlan.WeightQuant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites an FP32 model into INT8 QDQ form from a {@link QuantPlan} and the activations'
 * quantization parameters.
 *
 * <p>Each quantized activation gets one QuantizeLinear/DequantizeLinear pair right after its
 * producer; quantized consumers read the dequantized value, and FP32 consumers keep the exact
 * tensor unless that would stop the producer's integer kernel from fusing ({@link QdqFusion}).
 * Weights become int8 initializers with a DequantizeLinear (per channel when planned), biases int32
 * with scale = input scale × weight scale. The output is the form ONNX Runtime and TensorRT both
 * fuse into integer kernels; {@link QdqFusion} then removes what would stop a runtime from fusing
 * (see there).
 */
public final class QdqQuantizer {
  private QdqQuantizer() {}

  /**
   * Resolves every planned activation's parameters: calibrated ones from {@code calibrated}, shared
   * ones from their root, fixed ones from their range.
   *
   * @param plan the plan
   * @param calibrated parameters of the CALIBRATED tensors
   * @return parameters for every activation of the plan
   */
  public static Map<String, QuantParams> resolve(
      QuantPlan plan, Map<String, QuantParams> calibrated) {
    Map<String, QuantParams> out = new LinkedHashMap<>();
    for (ActivationQuant a : plan.activations().values()) {
      QuantParams p =
          switch (a.source()) {
            case CALIBRATED -> calibrated.get(a.tensor());
            case FIXED -> QuantParams.fromRange(a.fixedLo(), a.fixedHi(), a.type(), a.symmetric());
            case SHARED -> null;
          };
      if (a.source() == Source.CALIBRATED && p == null) {
        throw new IllegalArgumentException(
            "No calibrated parameters for tensor '" + a.tensor() + "'");
      }
      out.put(a.tensor(), p);
    }
    for (ActivationQuant a : plan.activations().values()) {
      if (a.source() == Source.SHARED) {
        QuantParams root = out.get(a.sharedWith());
        if (root == null) {
          throw new IllegalStateException("Shared tensor '" + a.sharedWith() + "' has no params");
        }
        out.put(a.tensor(), root);
      }
    }
    return out;
  }

  /**
   * Produces the QDQ model, letting float consumers of the {@code unclipped} tensors read their
   * dequantized value so that the producing op fuses into an integer kernel (see {@link
   * QdqFusion}).
   *
   * @param model the FP32 model
   * @param plan the plan made for this model
   * @param params parameters for every activation in the plan (see {@link #resolve})
   * @param metadata provenance entries added to the model's metadata_props
   * @param unclipped tensors whose quantization range covers every value seen in calibration
   *     ({@link #unclipped}): for them a float consumer loses only rounding, never clipped values
   * @param encoding how int8 MatMul/Gemm/Conv weights are encoded (from the quantization target)
   * @return the quantized model
   */
  public static OnnxModel quantize(
      OnnxModel model,
      QuantPlan plan,
      Map<String, QuantParams> params,
      Map<String, String> metadata,
      Set<String> unclipped,
      WeightEncoding encoding) {
    return quantize(model, plan, params, metadata, unclipped, encoding, true);
  }

  /**
   * Share of calibration values a range may cut off and still count as unclipped: a float consumer
   * fed the dequantized tensor then sees at most one value in ten thousand changed by more than
   * rounding. Percentile 99.999 ranges pass; typical entropy ranges do not.
   */
  static final double MAX_CLIPPED_SHARE = 1e-4;

  /**
   * The tensors whose quantization range cuts off at most {@link #MAX_CLIPPED_SHARE} of the values
   * seen in calibration (counted on the tensor's histogram, whole bins beyond the range).
   *
   * @param params every activation's parameters
   * @param table the calibration table with each tensor's histogram
   * @return the tensor names
   */
  public static Set<String> unclipped(
      Map<String, QuantParams> params, io.octet.calib.CalibrationTable table) {
    Set<String> out = new HashSet<>();
    params.forEach(
        (t, p) -> {
          var tc = table.tensors().get(t);
          if (p == null || tc == null || tc.histogram() == null || tc.histogram().isEmpty()) {
            return;
          }
          var h = tc.histogram();
          double half = p.scale() / 2.0;
          double lo = p.scale() * (double) (p.type().qmin() - p.zeroPoint()) - half;
          double hi = p.scale() * (double) (p.type().qmax() - p.zeroPoint()) + half;
          if (h.min() >= lo && h.max() <= hi) {
            out.add(t);
            return;
          }
          if (h.absolute()) {
            return; // one-sided counts cannot say which side was cut
          }
          long beyond = 0;
          for (int i = 0; i < h.spanBins(); i++) {
            if (h.binLow(i) >= hi || h.binHigh(i) <= lo) {
              beyond += h.count(i);
            }
          }
          if (beyond <= MAX_CLIPPED_SHARE * h.totalCount()) {
            out.add(t);
          }
        });
    return out;
  }

  /** As the public overloads; tests compare with {@code fuse} off. */
  static OnnxModel quantize(
      OnnxModel model,
      QuantPlan plan,
      Map<String, QuantParams> params,
      Map<String, String> metadata,
      Set<String> unclipped,
      WeightEncoding encoding,
      boolean fuse) {
    boolean perChannel =
        plan.nodes().stream().flatMap(n -> n.weights().stream()).anyMatch(w -> w.axis() >= 0);
    long opset = model.opsetVersion(OnnxModel.DEFAULT_DOMAIN);
    OnnxModel source = model;
    if (perChannel && opset < 13) {
      source = OpsetUpgrader.upgradeTo13(model);
    } else if (opset < 10) {
      throw QuantErrors.unsupported(
          model.name(),
          "it uses opset " + opset + ", and QuantizeLinear needs opset 10 or newer",
          "Re-export the model with opset 13 or newer.");
    }
    ModelProto out = new Rewrite(source, plan, params, encoding).run();
    ModelProto.Builder b = out.toBuilder();
    if (fuse) {
      b.setGraph(QdqFusion.apply(out.getGraph(), source.baseDir(), model.name(), unclipped));
    }
    Provenance.stamp(b, metadata);
    return source.withProto(b.build());
  }

  private static final class Rewrite {
    private final OnnxModel model;
    private final OnnxGraph g;
    private final QuantPlan plan;
    private final Map<String, QuantParams> params;
    private final List<TensorProto> newInits = new ArrayList<>();
    private final List<NodeProto> prologue = new ArrayList<>();
    private final Map<String, String> dqName = new HashMap<>();
    private final Map<String, String> weightDq = new HashMap<>();
    private final Map<String, float[]> weightScales = new HashMap<>();
    private final Set<String> quantizedWeights = new HashSet<>();
    private final WeightEncoding encoding;

    Rewrite(
        OnnxModel model, QuantPlan plan, Map<String, QuantParams> params, WeightEncoding encoding) {
      this.encoding = encoding;
      this.model = model;
      this.g = new OnnxGraph(model.proto().getGraph());
      this.plan = plan;
      this.params = params;
    }

    ModelProto run() {
      GraphProto graph = model.proto().getGraph();
      for (String t : plan.activations().keySet()) {
        dqName.put(t, g.freshName(t + "_DequantizeLinear_Output"));
      }
      // Nodes are matched by their first output, which is unique and survives opset upgrades
      // that insert nodes before them.
      List<NodeProto> original = graph.getNodeList();
      Map<String, NodeQuant> byOutput = new HashMap<>();
      for (NodeQuant nq : plan.nodes()) {
        byOutput.put(nq.firstOutput(), nq);
      }
      // Q/DQ for marked graph inputs and non-constant initializers go first.
      for (String t : plan.activations().keySet()) {
        if (g.producer(t).isEmpty()) {
          prologue.addAll(qdq(t));
        }
      }
      List<NodeProto> body = new ArrayList<>();
      for (NodeProto n : original) {
        NodeQuant nq = n.getOutputCount() > 0 ? byOutput.get(n.getOutput(0)) : null;
        body.add(nq != null ? rewriteQuantized(n, nq) : rewritePreserving(n));
        for (String o : n.getOutputList()) {
          if (plan.activations().containsKey(o)) {
            body.addAll(qdq(o));
          }
        }
      }
      GraphProto.Builder gb = graph.toBuilder().clearNode();
      gb.addAllNode(prologue);
      gb.addAllNode(body);
      gb.addAllInitializer(newInits);
      removeUnusedInitializers(gb);
      return model.proto().toBuilder().setGraph(gb).build();
    }

    /** A range-preserving op between two quantized tensors reads the dequantized input. */
    private NodeProto rewritePreserving(NodeProto n) {
      if (n.getOutputCount() == 0 || n.getInputCount() == 0) {
        return n;
      }
      ActivationQuant out = plan.activations().get(n.getOutput(0));
      String in = n.getInput(0);
      if (out == null
          || out.source() != Source.SHARED
          || !QuantOptions.RANGE_PRESERVING.contains(n.getOpType())
          || !plan.activations().containsKey(in)) {
        return n;
      }
      return n.toBuilder().setInput(0, dqName.get(in)).build();
    }

    private NodeProto rewriteQuantized(NodeProto n, NodeQuant nq) {
      NodeProto.Builder b = n.toBuilder();
      for (int k : nq.activationInputs()) {
        String dq = dqName.get(n.getInput(k));
        if (dq == null) {
          throw new IllegalStateException("Activation '" + n.getInput(k) + "' was not planned");
        }
        b.setInput(k, dq);
      }
      for (WeightQuant w : nq.weights()) {
        b.setInput(w.inputIndex(), weight(n, w));
      }
      if (nq.biasInput() >= 0) {
        b.setInput(nq.biasInput(), bias(n, nq));
      }
      return b.build();
    }

    private List<NodeProto> qdq(String t) {
      QuantParams p = params.get(t);
      if (p == null) {
        throw new IllegalArgumentException("No quantization parameters for tensor '" + t + "'");
      }
      String scale = g.freshName(t + "_scale");
      String zp = g.freshName(t + "_zero_point");
      newInits.add(TensorData.ofFloats(scale, new long[0], new float[] {p.scale()}));
      newInits.add(zeroPoint(zp, p.type(), new long[0], new int[] {p.zeroPoint()}));
      String q = g.freshName(t + "_QuantizeLinear_Output");
      return List.of(
          Nodes.node(
              "QuantizeLinear",
              g.freshName(t + "_QuantizeLinear"),
              List.of(t, scale, zp),
              List.of(q)),
          Nodes.node(
              "DequantizeLinear",
              g.freshName(t + "_DequantizeLinear"),
              List.of(q, scale, zp),
              List.of(dqName.get(t))));
    }

    private String weight(NodeProto n, WeightQuant w) {
      String key = w.tensor() + "#" + w.axis() + "#" + w.type() + "#" + w.symmetric();
      String existing = weightDq.get(key);
      if (existing != null) {
        return existing;
      }
      TensorProto init = g.initializer(w.tensor()).orElseThrow();
      float[] values = model.floats(init);
      long[] dims = init.getDimsList().stream().mapToLong(Long::longValue).toArray();
      String qName = g.freshName(w.tensor() + "_quantized");
      String scale = g.freshName(w.tensor() + "_scale");
      String zp = g.freshName(w.tensor() + "_zero_point");
      List<AttributeProto> attrs = new ArrayList<>();
      float[] scales;
      boolean kernelWeight =
          w.type() == QuantType.INT8
              && w.symmetric()
              && WeightEncodings.isKernelWeight(n, w.inputIndex(), dims.length);
      if (kernelWeight) {
        EncodedWeights e =
            WeightEncodings.encode(g, n, w.inputIndex(), values, dims, w.axis(), encoding);
        newInits.add(TensorData.ofBytes(qName, DataType.INT8, dims, e.data()));
        scales = e.scales();
        long[] sdims = w.axis() >= 0 ? new long[] {dims[w.axis()]} : new long[0];
        newInits.add(TensorData.ofFloats(scale, sdims, scales));
        newInits.add(zeroPoint(zp, QuantType.INT8, sdims, new int[scales.length]));
        if (w.axis() >= 0) {
          attrs.add(Nodes.attr("axis", (long) w.axis()));
        }
      } else if (w.axis() >= 0) {
        PerChannelWeights pc = Int8Math.quantizeWeightsPerChannel(values, dims, w.axis(), w.type());
        newInits.add(TensorData.ofBytes(qName, dataType(w.type()), dims, pc.data()));
        long c = dims[w.axis()];
        newInits.add(TensorData.ofFloats(scale, new long[] {c}, pc.scales()));
        newInits.add(zeroPoint(zp, w.type(), new long[] {c}, pc.zeroPoints()));
        scales = pc.scales();
        attrs.add(Nodes.attr("axis", (long) w.axis()));
      } else {
        QuantParams p = rangeParams(values, w.type(), w.symmetric());
        byte[] q = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
          q[i] = (byte) Int8Math.quantize(values[i], p);
        }
        newInits.add(TensorData.ofBytes(qName, dataType(w.type()), dims, q));
        newInits.add(TensorData.ofFloats(scale, new long[0], new float[] {p.scale()}));
        newInits.add(zeroPoint(zp, w.type(), new long[0], new int[] {p.zeroPoint()}));
        scales = new float[] {p.scale()};
      }
      String out = g.freshName(w.tensor() + "_DequantizeLinear_Output");
      NodeProto dq =
          Nodes.node(
              "DequantizeLinear",
              g.freshName(w.tensor() + "_DequantizeLinear"),
              List.of(qName, scale, zp),
              List.of(out),
              attrs.toArray(new AttributeProto[0]));
      prologue.add(dq);
      weightDq.put(key, out);
      weightScales.put(w.tensor(), scales);
      quantizedWeights.add(w.tensor());
      return out;
    }

    private String bias(NodeProto n, NodeQuant nq) {
      String biasName = n.getInput(nq.biasInput());
      String weightName = n.getInput(nq.biasWeightInput());
      QuantParams in = params.get(n.getInput(0));
      float[] wScales = weightScales.get(weightName);
      TensorProto init = g.initializer(biasName).orElseThrow();
      float[] bias = model.floats(init);
      int[] q = Int8Math.quantizeBias(bias, in.scale(), wScales);
      float[] scales = new float[wScales.length];
      for (int i = 0; i < scales.length; i++) {
        // Same float32 product the integer kernel uses, so dequantized bias matches it exactly.
        scales[i] = in.scale() * wScales[i];
      }
      long[] dims = init.getDimsList().stream().mapToLong(Long::longValue).toArray();
      String qName = g.freshName(biasName + "_quantized");
      String scale = g.freshName(biasName + "_scale");
      String zp = g.freshName(biasName + "_zero_point");
      newInits.add(TensorData.ofInts(qName, dims, q));
      boolean perChannel = scales.length > 1;
      long[] sdims = perChannel ? new long[] {scales.length} : new long[0];
      newInits.add(TensorData.ofFloats(scale, sdims, scales));
      newInits.add(TensorData.ofInts(zp, sdims, new int[scales.length]));
      String out = g.freshName(biasName + "_DequantizeLinear_Output");
      AttributeProto[] attrs =
          perChannel ? new AttributeProto[] {Nodes.attr("axis", 0L)} : new AttributeProto[0];
      prologue.add(
          Nodes.node(
              "DequantizeLinear",
              g.freshName(biasName + "_DequantizeLinear"),
              List.of(qName, scale, zp),
              List.of(out),
              attrs));
      quantizedWeights.add(biasName);
      return out;
    }

    private void removeUnusedInitializers(GraphProto.Builder gb) {
      OnnxGraph after = new OnnxGraph(gb.build());
      List<TensorProto> keep = new ArrayList<>();
      for (TensorProto t : gb.getInitializerList()) {
        boolean used = !after.consumers(t.getName()).isEmpty() || after.isGraphOutput(t.getName());
        if (used || !quantizedWeights.contains(t.getName())) {
          keep.add(t);
        }
      }
      gb.clearInitializer().addAllInitializer(keep);
    }
  }

  /**
   * Computes range-based parameters for a constant tensor quantized per tensor.
   *
   * @param values the values
   * @param type int8 or uint8
   * @param symmetric symmetric around zero
   * @return the parameters
   */
  static QuantParams rangeParams(float[] values, QuantType type, boolean symmetric) {
    float lo = 0f;
    float hi = 0f;
    for (float v : values) {
      if (Float.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return QuantParams.fromRange(lo, hi, type, symmetric);
  }

  static DataType dataType(QuantType t) {
    return t == QuantType.INT8 ? DataType.INT8 : DataType.UINT8;
  }

  static TensorProto zeroPoint(String name, QuantType type, long[] dims, int[] zps) {
    byte[] b = new byte[zps.length];
    for (int i = 0; i < zps.length; i++) {
      b[i] = (byte) zps[i];
    }
    return TensorData.ofBytes(name, dataType(type), dims, b);
  }
}
