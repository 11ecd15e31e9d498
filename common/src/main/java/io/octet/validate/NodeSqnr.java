package io.octet.validate;

import java.io.Serializable;
import java.math.BigDecimal;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-node sensitivity: SQNR of each quantized node's output, FP32 versus INT8, accumulated over
 * batches. Each batch's sums are computed in double (deterministic for the batch) and added as
 * exact {@link BigDecimal}s, so merging partitions in any order gives identical figures.
 */
public final class NodeSqnr implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, BigDecimal[]> sums = new LinkedHashMap<>();

  /**
   * Adds one batch of one tensor.
   *
   * @param tensor the node output's name
   * @param fp32 the reference values
   * @param int8 the quantized model's values (same length)
   */
  public void add(String tensor, FloatBuffer fp32, FloatBuffer int8) {
    double s = 0;
    double n = 0;
    int len = Math.min(fp32.remaining(), int8.remaining());
    for (int i = 0; i < len; i++) {
      double a = fp32.get(fp32.position() + i);
      double d = a - int8.get(int8.position() + i);
      s += a * a;
      n += d * d;
    }
    BigDecimal[] acc =
        sums.computeIfAbsent(tensor, k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
    if (Double.isFinite(s) && Double.isFinite(n)) {
      acc[0] = acc[0].add(new BigDecimal(s));
      acc[1] = acc[1].add(new BigDecimal(n));
    }
  }

  /**
   * Adds another accumulator's sums.
   *
   * @param o the other accumulator
   */
  public void merge(NodeSqnr o) {
    for (Map.Entry<String, BigDecimal[]> e : o.sums.entrySet()) {
      BigDecimal[] acc =
          sums.computeIfAbsent(
              e.getKey(), k -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
      acc[0] = acc[0].add(e.getValue()[0]);
      acc[1] = acc[1].add(e.getValue()[1]);
    }
  }

  /**
   * Returns SQNR in dB per tensor (+Inf where the outputs are identical).
   *
   * @return SQNR by tensor, in insertion order
   */
  public Map<String, Double> sqnrDb() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, BigDecimal[]> e : sums.entrySet()) {
      BigDecimal s = e.getValue()[0];
      BigDecimal n = e.getValue()[1];
      out.put(
          e.getKey(),
          n.signum() == 0
              ? Double.POSITIVE_INFINITY
              : 10 * Math.log10(s.doubleValue() / n.doubleValue()));
    }
    return out;
  }
}
