package io.octet.report;

/**
 * How much a report shows.
 *
 * @param topTensors tensors whose histograms are open on a model page (worst first); the rest are
 *     collapsed
 * @param runPageTensors worst tensors whose histograms the run page shows per model
 * @param maxBars most rows in a bar chart before it shows only the worst ones
 * @param histogramBars most bars in one histogram plot
 */
public record ReportOptions(int topTensors, int runPageTensors, int maxBars, int histogramBars) {
  /** Validates the limits. */
  public ReportOptions {
    if (topTensors < 0 || runPageTensors < 0) {
      throw new IllegalArgumentException(
          "Tensor counts must be >= 0, got " + topTensors + " and " + runPageTensors);
    }
    if (maxBars < 1 || histogramBars < 8) {
      throw new IllegalArgumentException(
          "maxBars must be >= 1 and histogramBars >= 8, got " + maxBars + " and " + histogramBars);
    }
  }

  /**
   * Returns the defaults: 12 open histograms per model page, 3 per model on the run page, bar
   * charts of at most 40 rows, histograms of at most 128 bars.
   *
   * @return the defaults
   */
  public static ReportOptions defaults() {
    return new ReportOptions(12, 3, 40, 128);
  }
}
