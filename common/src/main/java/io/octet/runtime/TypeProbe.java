package io.octet.runtime;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.octet.error.QuantErrors;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Learns the element type and (symbolic) shape of every tensor of a model's main graph by asking
 * ONNX Runtime.
 *
 * <p>Models rarely carry value_info for intermediate tensors, and writing ONNX type inference in
 * Java would mean re-implementing every operator's rules. Instead the probe declares every node
 * output a graph output without a type; ONNX Runtime infers the types while loading the model, with
 * graph optimizations off, and reports them.
 */
public final class TypeProbe {
  private TypeProbe() {}

  /**
   * A tensor's type as ONNX Runtime sees it.
   *
   * @param elemType the ONNX element type number
   * @param shape dims, -1 where symbolic or unknown
   */
  public record TensorType(int elemType, long[] shape) {
    /** Copies the shape. */
    public TensorType {
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    /**
     * Returns true for float32.
     *
     * @return whether the element type is FLOAT
     */
    public boolean isFloat() {
      return elemType == 1;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorType t
          && t.elemType == elemType
          && java.util.Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
      return 31 * elemType + java.util.Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
      return elemType + java.util.Arrays.toString(shape);
    }
  }

  /**
   * Returns the types of the graph inputs and of every node output in the main graph.
   *
   * @param model the model
   * @return types by tensor name
   */
  public static Map<String, TensorType> probe(OnnxModel model) {
    ModelProto proto = model.proto();
    GraphProto g = proto.getGraph();
    Set<String> declared = new HashSet<>();
    for (ValueInfoProto v : g.getOutputList()) {
      declared.add(v.getName());
    }
    GraphProto.Builder gb = g.toBuilder();
    for (NodeProto n : g.getNodeList()) {
      for (String o : n.getOutputList()) {
        if (!o.isEmpty() && declared.add(o)) {
          gb.addOutput(Nodes.untyped(o));
        }
      }
    }
    OnnxModel probe = model.withProto(proto.toBuilder().setGraph(gb).build());
    Map<String, TensorType> out = new LinkedHashMap<>();
    try (OrtSession s = OrtRuntime.open(probe, new OrtRuntime.SessionSettings(1, false))) {
      collect(s.getInputInfo(), out);
      collect(s.getOutputInfo(), out);
    } catch (OrtException e) {
      throw QuantErrors.runtime(model.name(), "inferring tensor types", e);
    }
    return out;
  }

  /** ONNX Runtime's Java enum has its own numbering; map by name to ONNX's type numbers. */
  static int onnxNumber(TensorInfo.OnnxTensorType t) {
    String name = t.name().substring("ONNX_TENSOR_ELEMENT_DATA_TYPE_".length());
    try {
      return ai.onnx.proto.OnnxMl.TensorProto.DataType.valueOf(name).getNumber();
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  private static void collect(Map<String, NodeInfo> infos, Map<String, TensorType> out) {
    Map<String, TensorType> m = new HashMap<>();
    for (Map.Entry<String, NodeInfo> e : infos.entrySet()) {
      if (e.getValue().getInfo() instanceof TensorInfo ti) {
        m.put(e.getKey(), new TensorType(onnxNumber(ti.onnxType), ti.getShape()));
      }
    }
    out.putAll(m);
  }
}
