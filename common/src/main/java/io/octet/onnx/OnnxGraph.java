package io.octet.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A read-only index over a graph: who produces and who consumes each tensor, its initializers,
 * inputs, outputs and known value types, and every name in use (subgraphs included) so that new
 * names never collide.
 *
 * <p>Subgraphs (If/Loop/Scan bodies) are not edited by Octet. A subgraph that reads a tensor of the
 * outer graph by name counts as a consumer of that tensor through its owning node, so a rewrite
 * never removes a tensor a body still needs.
 */
public final class OnnxGraph {
  private final GraphProto graph;
  private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
  private final Map<String, NodeProto> producers = new HashMap<>();
  private final Map<String, List<NodeProto>> consumers = new HashMap<>();
  private final Map<String, ValueInfoProto> valueInfo = new HashMap<>();
  private final Set<String> graphInputs = new HashSet<>();
  private final Set<String> graphOutputs = new HashSet<>();
  private final Set<String> usedNames = new HashSet<>();
  private final Map<NodeProto, Integer> order = new java.util.IdentityHashMap<>();

  /**
   * Indexes a graph.
   *
   * @param graph the graph
   */
  public OnnxGraph(GraphProto graph) {
    this.graph = graph;
    for (TensorProto t : graph.getInitializerList()) {
      initializers.put(t.getName(), t);
      usedNames.add(t.getName());
    }
    for (ValueInfoProto v : graph.getInputList()) {
      graphInputs.add(v.getName());
      valueInfo.put(v.getName(), v);
      usedNames.add(v.getName());
    }
    for (ValueInfoProto v : graph.getOutputList()) {
      graphOutputs.add(v.getName());
      valueInfo.putIfAbsent(v.getName(), v);
      usedNames.add(v.getName());
    }
    for (ValueInfoProto v : graph.getValueInfoList()) {
      valueInfo.putIfAbsent(v.getName(), v);
    }
    int i = 0;
    for (NodeProto n : graph.getNodeList()) {
      order.put(n, i++);
      usedNames.add(n.getName());
      for (String out : n.getOutputList()) {
        if (!out.isEmpty()) {
          producers.put(out, n);
          usedNames.add(out);
        }
      }
      Set<String> reads = new java.util.LinkedHashSet<>();
      for (String in : n.getInputList()) {
        if (!in.isEmpty()) {
          reads.add(in);
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          collectOuterReads(a.getG(), reads);
        }
        for (GraphProto sub : a.getGraphsList()) {
          collectOuterReads(sub, reads);
        }
      }
      for (String in : reads) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
  }

  /** Adds every name a subgraph reads but does not define (its outer-scope reads) to reads. */
  private void collectOuterReads(GraphProto sub, Set<String> reads) {
    Set<String> defined = new HashSet<>();
    for (TensorProto t : sub.getInitializerList()) {
      defined.add(t.getName());
      usedNames.add(t.getName());
    }
    for (ValueInfoProto v : sub.getInputList()) {
      defined.add(v.getName());
      usedNames.add(v.getName());
    }
    for (NodeProto n : sub.getNodeList()) {
      usedNames.add(n.getName());
      for (String o : n.getOutputList()) {
        defined.add(o);
        usedNames.add(o);
      }
    }
    for (NodeProto n : sub.getNodeList()) {
      for (String in : n.getInputList()) {
        if (!in.isEmpty() && !defined.contains(in)) {
          reads.add(in);
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        Set<String> inner = new HashSet<>();
        if (a.hasG()) {
          collectOuterReads(a.getG(), inner);
        }
        for (GraphProto g : a.getGraphsList()) {
          collectOuterReads(g, inner);
        }
        for (String in : inner) {
          if (!defined.contains(in)) {
            reads.add(in);
          }
        }
      }
    }
    for (ValueInfoProto v : sub.getOutputList()) {
      if (!defined.contains(v.getName())) {
        reads.add(v.getName());
      }
    }
  }

  /**
   * Returns the indexed graph.
   *
   * @return the graph
   */
  public GraphProto proto() {
    return graph;
  }

  /**
   * Returns the graph's nodes in their (topological) order.
   *
   * @return the nodes
   */
  public List<NodeProto> nodes() {
    return graph.getNodeList();
  }

  /**
   * Returns a node's position in the graph.
   *
   * @param n a node of this graph
   * @return its index
   */
  public int indexOf(NodeProto n) {
    Integer i = order.get(n);
    if (i == null) {
      throw new IllegalArgumentException("Node '" + n.getName() + "' is not in this graph");
    }
    return i;
  }

  /**
   * Returns the initializer with this name, if any.
   *
   * @param name a tensor name
   * @return the initializer
   */
  public Optional<TensorProto> initializer(String name) {
    return Optional.ofNullable(initializers.get(name));
  }

  /**
   * Returns all initializers by name, in graph order.
   *
   * @return the initializers
   */
  public Map<String, TensorProto> initializers() {
    return Collections.unmodifiableMap(initializers);
  }

  /**
   * Returns true when the tensor is a constant: an initializer that is not also a graph input (an
   * initializer that is a graph input can be overridden at run time), or a Constant node's output.
   *
   * @param name a tensor name
   * @return whether its value is fixed
   */
  public boolean isConstant(String name) {
    if (initializers.containsKey(name)) {
      return !graphInputs.contains(name);
    }
    NodeProto p = producers.get(name);
    return p != null && p.getOpType().equals("Constant") && p.getDomain().isEmpty();
  }

  /**
   * Returns the node producing a tensor.
   *
   * @param tensor a tensor name
   * @return the producer, empty for graph inputs, initializers and unknown names
   */
  public Optional<NodeProto> producer(String tensor) {
    return Optional.ofNullable(producers.get(tensor));
  }

  /**
   * Returns the nodes reading a tensor (a node whose subgraph reads it counts).
   *
   * @param tensor a tensor name
   * @return the consumers in graph order
   */
  public List<NodeProto> consumers(String tensor) {
    return consumers.getOrDefault(tensor, List.of());
  }

  /**
   * Returns true when the tensor is a graph output.
   *
   * @param tensor a tensor name
   * @return whether it is an output
   */
  public boolean isGraphOutput(String tensor) {
    return graphOutputs.contains(tensor);
  }

  /**
   * Returns true when the tensor is a graph input.
   *
   * @param tensor a tensor name
   * @return whether it is an input
   */
  public boolean isGraphInput(String tensor) {
    return graphInputs.contains(tensor);
  }

  /**
   * Returns the declared element type of a tensor, when the graph says.
   *
   * @param tensor a tensor name
   * @return the TensorProto.DataType number, or empty when unknown
   */
  public Optional<Integer> declaredType(String tensor) {
    TensorProto init = initializers.get(tensor);
    if (init != null) {
      return Optional.of(init.getDataType());
    }
    ValueInfoProto v = valueInfo.get(tensor);
    if (v != null && v.getType().hasTensorType() && v.getType().getTensorType().hasElemType()) {
      return Optional.of(v.getType().getTensorType().getElemType());
    }
    return Optional.empty();
  }

  /**
   * Returns a name not used anywhere in the model's graph or subgraphs, and reserves it.
   *
   * @param base the preferred name
   * @return {@code base}, or {@code base_N} for the smallest free N
   */
  public String freshName(String base) {
    String candidate = base;
    int i = 1;
    while (usedNames.contains(candidate)) {
      candidate = base + "_" + i++;
    }
    usedNames.add(candidate);
    return candidate;
  }
}
