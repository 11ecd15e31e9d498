package io.octet.jobs.validate;

import io.octet.cpu.CpuFeatures;
import io.octet.validate.MetricsAccumulator;
import io.octet.validate.NodeSqnr;
import java.io.Serializable;

/**
 * One partition's validation sums (exact, order-free merge).
 *
 * @param metrics output metrics
 * @param nodes per-node SQNR sums
 * @param cpus the distinct CPUs the partitions ran on (what their integer kernels compute)
 * @param times FP32 and INT8 run times of the comparison pass
 */
public record PartialValidation(
    MetricsAccumulator metrics,
    NodeSqnr nodes,
    java.util.ArrayList<CpuFeatures> cpus,
    io.octet.validate.RunTimes times)
    implements Serializable {
  /**
   * Merges b into a.
   *
   * @param a one (modified and returned)
   * @param b another
   * @return a
   */
  public static PartialValidation merge(PartialValidation a, PartialValidation b) {
    a.metrics().merge(b.metrics());
    a.nodes().merge(b.nodes());
    a.times().merge(b.times());
    for (CpuFeatures c : b.cpus()) {
      if (!a.cpus().contains(c)) {
        a.cpus().add(c);
      }
    }
    return a;
  }
}
