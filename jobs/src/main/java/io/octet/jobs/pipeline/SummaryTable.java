package io.octet.jobs.pipeline;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** The run's result as a readable table on stdout. */
public final class SummaryTable {
  private SummaryTable() {}

  /**
   * Prints one row per model.
   *
   * @param out where to print
   * @param models the outcomes
   */
  public static void print(PrintStream out, List<ModelOutcome> models) {
    String fmt = "%-18s %-11s %-9s %-10s %10s %8s %9s %9s  %s%n";
    out.println();
    out.printf(
        Locale.ROOT,
        fmt,
        "MODEL",
        "STATUS",
        "MODE",
        "METHOD",
        "MEAN-COS",
        "SQNR-DB",
        "SPEEDUP",
        "SIZE-MB",
        "NOTE");
    for (ModelOutcome m : models) {
      var v = m.validation();
      out.printf(
          Locale.ROOT,
          fmt,
          m.name(),
          m.status(),
          m.mode(),
          m.method() == null ? "-" : m.method(),
          v == null ? "-" : String.format(Locale.ROOT, "%.4f", v.metrics().meanCosine()),
          v == null ? "-" : String.format(Locale.ROOT, "%.1f", v.metrics().sqnrDb()),
          v == null || v.latency() == null
              ? "-"
              : String.format(Locale.ROOT, "%.2fx", v.latency().speedup()),
          v == null ? "-" : String.format(Locale.ROOT, "%.1f", v.int8Bytes() / 1e6),
          note(m));
    }
    out.println();
  }

  private static String note(ModelOutcome m) {
    String n = m.note() == null ? "" : m.note();
    return n.length() > 160 ? n.substring(0, 157) + "..." : n;
  }
}
