package io.octet.report;

import java.util.Locale;

/** The outcome of one model in a run, as the run summary spells it. */
public enum ModelStatus {
  /** Quantized, validated, passed its gate and published. */
  PASSED("passed"),
  /** Quantized and validated, but missed its gate: reported, not promoted. */
  GATE_FAILED("gate-failed"),
  /** A stage failed with an error. */
  FAILED("failed"),
  /** Not run: its inputs hash the same as the last published run. */
  SKIPPED("skipped"),
  /** A status this version of the report does not know (written by a newer pipeline). */
  UNKNOWN("unknown");

  private final String label;

  ModelStatus(String label) {
    this.label = label;
  }

  /**
   * Returns the status as the summary spells it.
   *
   * @return e.g. "gate-failed"
   */
  public String label() {
    return label;
  }

  /**
   * Reads a status; unknown or missing values give {@link #UNKNOWN}, so an older report still
   * renders a newer summary.
   *
   * @param s the summary's spelling, may be null
   * @return the status
   */
  public static ModelStatus parse(String s) {
    if (s != null) {
      String k = s.trim().toLowerCase(Locale.ROOT);
      for (ModelStatus m : values()) {
        if (m.label.equals(k)) {
          return m;
        }
      }
    }
    return UNKNOWN;
  }
}
