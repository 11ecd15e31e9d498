package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Command-line behaviour that needs no Spark: usage errors and --verbose. */
class MainTest {
  @AfterEach
  void clear() {
    System.clearProperty("octetlog.console-level");
    System.clearProperty("octetlog.console-traces");
    System.clearProperty("octetlog.spark-level");
  }

  private static String[] run(String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Main.run(
            argv,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {
      Integer.toString(code),
      out.toString(StandardCharsets.UTF_8),
      err.toString(StandardCharsets.UTF_8)
    };
  }

  @Test
  void verboseTurnsOnTheConsoleLogAndStackTracesEveryCommandAcceptsIt() {
    String[] r = run("run", "--registry", "/no/such/registry.conf", "--verbose");

    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2]).contains("Cannot read registry").hasLineCount(1);
    assertThat(System.getProperty("octetlog.console-level")).isEqualTo("info");
    assertThat(System.getProperty("octetlog.console-traces")).isEqualTo("true");
    for (String cmd : Main.VALUED.keySet()) {
      if (!cmd.equals("help")) {
        assertThat(Main.FLAGS.get(cmd)).as(cmd).contains("verbose");
      }
    }
  }

  @Test
  void withoutVerboseTheConsoleStaysQuiet() {
    String[] r = run("gc", "--registry", "/no/such/registry.conf");

    assertThat(r[0]).isEqualTo("2");
    assertThat(r[2]).contains("Cannot read registry").hasLineCount(1);
    assertThat(System.getProperty("octetlog.console-level")).isNull();
  }
}
