package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/octet gc}: what dead runs left goes after the grace period; nothing else does. */
class GcTest {
  private static final String OLD = "20261101T000000Z-aaaaaa";
  private static final String RECENT = "20261206T000000Z-bbbbbb";
  private static final String DONE = "20261101T000000Z-cccccc";

  @TempDir Path wh;

  private Path file(String rel, Instant modified) throws Exception {
    Path p = wh.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, rel);
    Files.setLastModifiedTime(p, FileTime.from(modified));
    return p;
  }

  private int gc(String... extra) throws Exception {
    Path reg = wh.getParent().resolve(wh.getFileName() + "-registry.conf");
    Files.writeString(
        reg,
        "warehouse = \""
            + wh.toUri()
            + "\"\nmodels { m { uri = \"file:///m.onnx\", quantization { mode = dynamic },"
            + " validation { dataset = \"file:///v\" } } }\n");
    List<String> argv = new java.util.ArrayList<>(List.of("gc", "--registry", reg.toString()));
    argv.addAll(List.of(extra));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        Main.run(
            argv.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(out, true, StandardCharsets.UTF_8));
    System.out.print(out.toString(StandardCharsets.UTF_8));
    return code;
  }

  @Test
  void removesStaleStagingUnpublishedPrefixesAndLoneClaimsButNothingPublished() throws Exception {
    Instant old = Instant.now().minus(Duration.ofDays(30));
    Instant recent = Instant.now().minus(Duration.ofMinutes(5));
    // A dead run: staging, a half-written prefix, its claim without a summary.
    file("_staging/" + OLD + "/m/calibration.json", old);
    file("m/1/" + OLD + "/_claim.json", old);
    file("m/1/" + OLD + "/model.int8.onnx", old);
    file("_runs/" + OLD + "/_claim.json", old);
    // A run still going (inside the grace period).
    file("_staging/" + RECENT + "/m/calibration.json", recent);
    file("m/1/" + RECENT + "/model.int8.onnx", recent);
    file("_runs/" + RECENT + "/_claim.json", recent);
    // A finished, published run, old: untouched.
    file("m/1/" + DONE + "/model.int8.onnx", old);
    file("m/1/" + DONE + "/manifest.json", old);
    file("_runs/" + DONE + "/_claim.json", old);
    file("_runs/" + DONE + "/summary.json", old);
    file("m/latest", old);

    assertThat(gc("--dry-run")).isZero();
    assertThat(wh.resolve("m/1/" + OLD)).as("dry run removes nothing").exists();

    assertThat(gc()).isZero();

    assertThat(wh.resolve("_staging/" + OLD)).doesNotExist();
    assertThat(wh.resolve("m/1/" + OLD)).doesNotExist();
    assertThat(wh.resolve("_runs/" + OLD)).doesNotExist();
    assertThat(wh.resolve("_staging/" + RECENT + "/m/calibration.json")).exists();
    assertThat(wh.resolve("m/1/" + RECENT + "/model.int8.onnx")).exists();
    assertThat(wh.resolve("_runs/" + RECENT + "/_claim.json")).exists();
    assertThat(wh.resolve("m/1/" + DONE + "/manifest.json")).exists();
    assertThat(wh.resolve("m/1/" + DONE + "/model.int8.onnx")).exists();
    assertThat(wh.resolve("_runs/" + DONE + "/summary.json")).exists();
    assertThat(wh.resolve("m/latest")).exists();
  }

  @Test
  void theGracePeriodComesFromRunGcGrace() throws Exception {
    file("_staging/" + RECENT + "/m/calibration.json", Instant.now().minus(Duration.ofHours(2)));

    assertThat(gc()).isZero();
    assertThat(wh.resolve("_staging/" + RECENT)).as("2 h < the default 24 h").exists();

    assertThat(gc("--set", "run.gc-grace=1h")).isZero();
    assertThat(wh.resolve("_staging/" + RECENT)).doesNotExist();
  }
}
