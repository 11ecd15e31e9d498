package io.octet.report;

/**
 * FP32-versus-INT8 fidelity figures of one model, as the run summary records them. A figure that
 * was not measured is NaN.
 *
 * @param rows validation rows compared, or -1
 * @param meanCosine mean cosine similarity of INT8 to FP32 output rows
 * @param minCosine the worst row's cosine similarity
 * @param sqnrDb output SQNR in dB
 * @param maxAbsError largest absolute difference of any output element
 * @param top1Agreement share of rows with the same argmax, in [0, 1]
 * @param topKAgreement share of rows whose FP32 argmax is in the INT8 top k, in [0, 1]
 * @param topK the k of {@code topKAgreement}, or 0
 * @param fp32Accuracy FP32 top-1 accuracy against labels, in [0, 1]
 * @param int8Accuracy INT8 top-1 accuracy against labels, in [0, 1]
 * @param labeledRows rows that had a label
 */
public record Fidelity(
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
    long labeledRows) {

  /**
   * Returns FP32 minus INT8 accuracy in percentage points.
   *
   * @return the drop (negative when INT8 did better), or NaN without labels
   */
  public double accuracyDropPoints() {
    return (fp32Accuracy - int8Accuracy) * 100.0;
  }
}
