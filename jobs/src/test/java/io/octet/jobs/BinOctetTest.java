package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/octet}'s own checks, before any JVM starts. */
class BinOctetTest {
  @TempDir Path dir;

  @Test
  void aDriverMemoryThatIsNoHeapSizeIsAUsageErrorExit2() throws Exception {
    // mvn and java stand-ins that fail loudly: the check must come before the script uses either.
    Path bin = Files.createDirectories(dir.resolve("bin"));
    for (String tool : new String[] {"mvn", "java"}) {
      Path p = bin.resolve(tool);
      Files.writeString(p, "#!/bin/sh\necho \"" + tool + " must not run\" >&2\nexit 97\n");
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path script = SparkTestBase.repoRoot().resolve("bin/octet");
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "run", "--registry", "x");
    pb.environment().put("OCTET_DRIVER_MEMORY", "lots");
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.exitValue()).as(out).isEqualTo(2);
    assertThat(out).contains("OCTET_DRIVER_MEMORY='lots'").contains("6g").hasLineCount(1);
  }
}
