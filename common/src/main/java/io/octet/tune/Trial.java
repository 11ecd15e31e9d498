package io.octet.tune;

import java.util.List;

/**
 * One candidate the tuner measured.
 *
 * @param step which search step produced it (baseline, method, sensitivity, tensor-method,
 *     smoothquant, fallback, final)
 * @param description what differs from the baseline
 * @param fp32Nodes nodes kept in FP32
 * @param objective the gate's metric on the tuning sample
 * @param passed whether the candidate met the gate on the sample
 * @param speedup speedup over FP32 (NaN when not timed)
 */
public record Trial(
    String step,
    String description,
    List<String> fp32Nodes,
    double objective,
    boolean passed,
    double speedup) {
  /** Copies the list. */
  public Trial {
    fp32Nodes = List.copyOf(fp32Nodes);
  }
}
