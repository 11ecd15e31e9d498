package io.octet.jobs.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed command line: a command, {@code --flag value} options, repeatable {@code --set}, and
 * boolean switches. Unknown options are errors that list the known ones.
 *
 * @param command the command
 * @param options single-valued options
 * @param sets the {@code --set key=value} overrides, in order
 * @param switches boolean switches present
 */
public record Args(
    String command, Map<String, String> options, List<String> sets, Set<String> switches) {

  /** A usage error (exit code 2). */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message what is wrong and how to call the command
     */
    public UsageException(String message) {
      super(message);
    }
  }

  /**
   * Parses arguments.
   *
   * @param argv the arguments
   * @param valued options that take a value, per command
   * @param flags switches, per command
   * @return the parsed arguments
   */
  public static Args parse(
      String[] argv, Map<String, Set<String>> valued, Map<String, Set<String>> flags) {
    if (argv.length == 0) {
      throw new UsageException("No command given.");
    }
    String cmd = argv[0];
    if (!valued.containsKey(cmd)) {
      throw new UsageException("Unknown command '" + cmd + "'.");
    }
    Map<String, String> opts = new LinkedHashMap<>();
    List<String> sets = new ArrayList<>();
    Set<String> sw = new java.util.TreeSet<>();
    for (int i = 1; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--")) {
        throw new UsageException("Unexpected argument '" + a + "' for '" + cmd + "'.");
      }
      String name = a.substring(2);
      String inline = null;
      int eq = name.indexOf('=');
      if (eq > 0 && !name.startsWith("set")) {
        inline = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (name.equals("set")) {
        if (i + 1 >= argv.length) {
          throw new UsageException("--set needs key=value.");
        }
        sets.add(argv[++i]);
      } else if (flags.getOrDefault(cmd, Set.of()).contains(name)) {
        sw.add(name);
      } else if (valued.get(cmd).contains(name)) {
        if (inline != null) {
          opts.put(name, inline);
        } else if (i + 1 < argv.length) {
          opts.put(name, argv[++i]);
        } else {
          throw new UsageException("--" + name + " needs a value.");
        }
      } else {
        Set<String> known = new java.util.TreeSet<>(valued.get(cmd));
        known.addAll(flags.getOrDefault(cmd, Set.of()));
        known.add("set");
        throw new UsageException(
            "Unknown option --"
                + name
                + " for '"
                + cmd
                + "' (known: --"
                + String.join(", --", known)
                + ").");
      }
    }
    return new Args(cmd, opts, sets, sw);
  }

  /**
   * Returns a required option.
   *
   * @param name the option
   * @return its value
   */
  public String require(String name) {
    String v = options.get(name);
    if (v == null || v.isEmpty()) {
      throw new UsageException("'" + command + "' needs --" + name + ".");
    }
    return v;
  }
}
