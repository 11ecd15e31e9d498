package io.octet.jobs.pipeline;

import java.io.PrintStream;
import java.util.Locale;

/** One line per model per stage for a person at a terminal (stdout), next to Spark's bar. */
public final class Progress {
  private final PrintStream out;

  /**
   * Creates a printer.
   *
   * @param out where lines go
   */
  public Progress(PrintStream out) {
    this.out = out;
  }

  /**
   * Prints a line.
   *
   * @param model the model
   * @param stage the stage
   * @param format details, formatted with {@link Locale#ROOT}
   * @param args arguments
   */
  public synchronized void line(String model, String stage, String format, Object... args) {
    out.printf(
        Locale.ROOT,
        "[octet] %-16s %-10s %s%n",
        model,
        stage,
        String.format(Locale.ROOT, format, args));
    out.flush();
  }
}
