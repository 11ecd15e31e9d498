package io.octet.jobs.pipeline;

import io.octet.error.QuantException;

/** Finds the user-facing cause of a failure, also when Spark wrapped it in a task failure. */
public final class Failures {
  private Failures() {}

  /**
   * Returns the first {@link QuantException} in the cause chain, or one rebuilt from a Spark task
   * failure message that names it.
   *
   * @param e the failure
   * @return the user-facing exception, or null
   */
  public static QuantException userFacing(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof QuantException q) {
        return q;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    // Spark reports task failures as text: "...io.octet.error.QuantException: Model 'x': ...".
    String msg = String.valueOf(e.getMessage());
    String marker = QuantException.class.getName() + ": ";
    int i = msg.indexOf(marker);
    if (i >= 0) {
      String rest = msg.substring(i + marker.length());
      int nl = rest.indexOf('\n');
      return new QuantException(
          QuantException.Kind.RUNTIME, nl < 0 ? rest : rest.substring(0, nl), e);
    }
    return null;
  }

  /**
   * Describes an unexpected failure in one line.
   *
   * @param e the failure
   * @return class and message of the root cause
   */
  public static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = String.valueOf(root.getMessage());
    int nl = m.indexOf('\n');
    return root.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
  }

  /**
   * The first line of a message: the console shows one line per failure.
   *
   * @param message the message
   * @return its first line
   */
  public static String oneLine(String message) {
    String m = String.valueOf(message);
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
