package io.octet.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Looks for credentials in everything a run leaves behind: driver, executor, worker and master
 * logs, Octet's local scratch files, and every object in every bucket of the S3 server (manifests,
 * summaries, reports, models, data).
 *
 * <p>Two kinds of file are the user's own input and hold the credential on purpose, so they are
 * skipped: the {@code spark-submit --properties-file} the harness writes ({@code submit-*.conf})
 * and S3Proxy's own configuration ({@code s3proxy.properties}). Jars are skipped too: they are the
 * application's inputs, fetched unchanged by executors.
 */
final class SecretScan {
  private SecretScan() {}

  /** Files that are inputs and never written by Octet or Spark. */
  static final Predicate<Path> USER_INPUT =
      p -> {
        String n = p.getFileName().toString();
        return (n.startsWith("submit-") && n.endsWith(".conf"))
            || n.equals("s3proxy.properties")
            || n.endsWith(".jar");
      };

  /**
   * Returns the files under {@code roots} that contain any of {@code secrets}, as "path: secret #i"
   * lines (the secret itself is never echoed).
   */
  static List<String> findIn(List<String> secrets, Path... roots) {
    List<byte[]> needles = secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    List<String> hits = new ArrayList<>();
    for (Path root : roots) {
      if (root == null || !Files.exists(root)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(Files::isRegularFile).filter(USER_INPUT.negate()).toList()) {
          String content;
          try {
            // Latin-1 maps bytes 1:1 to chars, and String.indexOf on Latin-1 strings is fast.
            content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
          } catch (IOException e) {
            continue; // removed while we walked (a finished executor's temp file)
          }
          for (int i = 0; i < needles.size(); i++) {
            if (content.contains(new String(needles.get(i), StandardCharsets.ISO_8859_1))) {
              hits.add(f + ": secret #" + i);
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (UncheckedIOException e) {
        // Files.walk races with processes deleting their temp dirs; scan what is left.
      }
    }
    return hits;
  }
}
