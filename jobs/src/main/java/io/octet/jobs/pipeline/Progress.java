package io.octet.jobs.pipeline;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
    String line =
        String.format(
            Locale.ROOT,
            "[octet] %-16s %-10s %s%n",
            model,
            stage,
            String.format(Locale.ROOT, format, args));
    // One write of the whole line: printf hands the stream its pieces, and a log line that
    // Spark or log4j writes to stderr (often the same terminal or pipe) could land between them
    // (seen in BadInputIT: "[octet] nan-inf       26/12/08 ... INFO DAGScheduler ..."). Written
    // as one byte array and flushed, the line reaches the descriptor in one write(2), which a
    // pipe keeps whole up to 4 KiB.
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    out.write(bytes, 0, bytes.length);
    out.flush();
  }
}
