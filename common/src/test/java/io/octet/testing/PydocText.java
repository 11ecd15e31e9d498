package io.octet.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Held-out text of another domain than the Europarl calibration passages: paragraphs of Python's
 * reference documentation, which ships with every CPython install ({@code pydoc_data.topics}); read
 * at run time, never stored here.
 */
public final class PydocText {
  private PydocText() {}

  /**
   * Returns the first {@code n} paragraphs of 20 to 90 words (topics in sorted order, whitespace
   * collapsed), fewer when the install has fewer (CPython 3.12 has about 860).
   *
   * @param n how many
   * @return the paragraphs
   * @throws IllegalStateException when python3 cannot list the topics
   */
  public static List<String> paragraphs(int n) {
    try {
      Process p =
          new ProcessBuilder(
                  "python3",
                  "-c",
                  "import pydoc_data.topics as t, re\n"
                      + "for k in sorted(t.topics):\n"
                      + "  for p in re.split(r'\\n\\s*\\n', t.topics[k]):\n"
                      + "    p = ' '.join(p.split())\n"
                      + "    if 20 <= len(p.split()) <= 90 and p[0].isalpha(): print(p)\n")
              .redirectErrorStream(true)
              .start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IllegalStateException("python3 could not list pydoc topics: " + text);
      }
      return text.lines().filter(l -> !l.isBlank()).limit(n).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while reading pydoc topics", e);
    }
  }
}
