package io.octet.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;
import java.util.Optional;

/** Small builders and readers for nodes, attributes and value infos. */
public final class Nodes {
  private Nodes() {}

  /**
   * Builds a node of the default domain.
   *
   * @param op the operator type
   * @param name the node name
   * @param inputs input tensor names ("" for an omitted optional input)
   * @param outputs output tensor names
   * @param attrs attributes
   * @return the node
   */
  public static NodeProto node(
      String op, String name, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
    return node("", op, name, inputs, outputs, attrs);
  }

  /**
   * Builds a node of any domain.
   *
   * @param domain the operator domain ("" for the default domain)
   * @param op the operator type
   * @param name the node name
   * @param inputs input tensor names
   * @param outputs output tensor names
   * @param attrs attributes
   * @return the node
   */
  public static NodeProto node(
      String domain,
      String op,
      String name,
      List<String> inputs,
      List<String> outputs,
      AttributeProto... attrs) {
    NodeProto.Builder b =
        NodeProto.newBuilder()
            .setOpType(op)
            .setName(name)
            .addAllInput(inputs)
            .addAllOutput(outputs);
    if (!domain.isEmpty()) {
      b.setDomain(domain);
    }
    for (AttributeProto a : attrs) {
      b.addAttribute(a);
    }
    return b.build();
  }

  /**
   * An integer attribute.
   *
   * @param name the attribute name
   * @param v the value
   * @return the attribute
   */
  public static AttributeProto attr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
  }

  /**
   * A float attribute.
   *
   * @param name the attribute name
   * @param v the value
   * @return the attribute
   */
  public static AttributeProto attr(String name, float v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(v).build();
  }

  /**
   * A string attribute.
   *
   * @param name the attribute name
   * @param v the value
   * @return the attribute
   */
  public static AttributeProto attr(String name, String v) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeType.STRING)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(v))
        .build();
  }

  /**
   * An integer-list attribute.
   *
   * @param name the attribute name
   * @param v the values
   * @return the attribute
   */
  public static AttributeProto attrInts(String name, long... v) {
    AttributeProto.Builder b =
        AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
    for (long x : v) {
      b.addInts(x);
    }
    return b.build();
  }

  /**
   * A tensor attribute.
   *
   * @param name the attribute name
   * @param t the tensor
   * @return the attribute
   */
  public static AttributeProto attr(String name, TensorProto t) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.TENSOR).setT(t).build();
  }

  /**
   * A graph attribute (If/Loop/Scan bodies).
   *
   * @param name the attribute name
   * @param g the graph
   * @return the attribute
   */
  public static AttributeProto attr(String name, GraphProto g) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(g).build();
  }

  /**
   * Finds an attribute of a node.
   *
   * @param n the node
   * @param name the attribute name
   * @return the attribute, if present
   */
  public static Optional<AttributeProto> find(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  /**
   * Reads an integer attribute.
   *
   * @param n the node
   * @param name the attribute name
   * @param dflt the value when absent
   * @return the value
   */
  public static long intAttr(NodeProto n, String name, long dflt) {
    return find(n, name).map(AttributeProto::getI).orElse(dflt);
  }

  /**
   * Builds a tensor value info.
   *
   * @param name the tensor name
   * @param elemType the TensorProto.DataType number
   * @param dims the fixed dims (see {@link #valueInfo(String, int, Object...)} for symbolic ones)
   * @return the value info
   */
  public static ValueInfoProto valueInfo(String name, int elemType, long... dims) {
    Object[] boxed = new Object[dims.length];
    for (int i = 0; i < dims.length; i++) {
      boxed[i] = dims[i];
    }
    return valueInfo(name, elemType, boxed);
  }

  /**
   * Builds a tensor value info with fixed (Long/Integer) or symbolic (String) dims.
   *
   * @param name the tensor name
   * @param elemType the TensorProto.DataType number
   * @param dims each a Number (fixed size) or a String (symbolic dimension name)
   * @return the value info
   */
  public static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof Number num) {
        db.setDimValue(num.longValue());
      } else {
        db.setDimParam(String.valueOf(d));
      }
      shape.addDim(db);
    }
    TypeProto type =
        TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))
            .build();
    return ValueInfoProto.newBuilder().setName(name).setType(type).build();
  }

  /**
   * Builds a value info with only a name (ONNX Runtime infers the type of such graph outputs).
   *
   * @param name the tensor name
   * @return the value info
   */
  public static ValueInfoProto untyped(String name) {
    return ValueInfoProto.newBuilder().setName(name).build();
  }
}
