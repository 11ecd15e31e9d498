package io.octet.validate;

/**
 * FP32-versus-INT8 figures over a validation set.
 *
 * @param rows rows compared
 * @param meanCosine mean cosine similarity of INT8 to FP32 output rows
 * @param minCosine the worst row's cosine similarity
 * @param sqnrDb signal-to-quantization-noise ratio in dB: 10·log10(Σ fp32² / Σ (fp32 − int8)²)
 * @param maxAbsError the largest absolute difference of any output element
 * @param top1Agreement share of rows whose INT8 argmax equals the FP32 argmax
 * @param topKAgreement share of rows whose FP32 argmax is within the INT8 top k
 * @param topK the k of topKAgreement
 * @param fp32Accuracy FP32 top-1 accuracy against labels (NaN without labels)
 * @param int8Accuracy INT8 top-1 accuracy against labels (NaN without labels)
 * @param labeledRows rows that had a label
 * @param nonFiniteRows rows where INT8 (or FP32) produced NaN or Inf; left out of the other figures
 */
public record ValidationMetrics(
    long rows,
    double meanCosine,
    double minCosine,
    double sqnrDb,
    double maxAbsError,
    double top1Agreement,
    double topKAgreement,
    int topK,
    double fp32Accuracy,
    double int8Accuracy,
    long labeledRows,
    long nonFiniteRows)
    implements java.io.Serializable {

  /**
   * INT8 accuracy minus FP32 accuracy, in percentage points (NaN without labels).
   *
   * @return the accuracy change
   */
  public double accuracyDropPoints() {
    return (fp32Accuracy - int8Accuracy) * 100.0;
  }
}
