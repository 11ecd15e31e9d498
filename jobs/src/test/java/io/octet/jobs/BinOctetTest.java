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

  /** Runs bin/octet from a copy of the repository's layout with a java that prints what it got. */
  private String launch(java.util.Map<String, String> env) throws Exception {
    Path tree = dir.resolve("tree" + env.hashCode());
    Files.createDirectories(tree.resolve("bin"));
    Files.createDirectories(tree.resolve("jobs/target"));
    Files.copy(SparkTestBase.repoRoot().resolve("bin/octet"), tree.resolve("bin/octet"));
    Files.writeString(tree.resolve("jobs/target/octet-jobs-0.jar"), "");
    Files.writeString(tree.resolve("jobs/target/classpath.txt"), "none.jar");
    // Under target/, not the temp dir: some runners mount /tmp noexec.
    Path bin =
        Files.createDirectories(SparkTestBase.repoRoot().resolve("jobs/target/bin-octet-test"));
    Path java = bin.resolve("java");
    Files.writeString(
        java, "#!/bin/sh\necho \"args: $*\"\necho \"malloc: ${MALLOC_MMAP_THRESHOLD_-unset}\"\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    ProcessBuilder pb = new ProcessBuilder("bash", tree.resolve("bin/octet").toString(), "help");
    pb.environment()
        .keySet()
        .removeIf(
            k ->
                k.startsWith("OCTET_")
                    || k.startsWith("MALLOC_")
                    || k.equals("JAVA_OPTS")
                    || k.equals("JDK_JAVA_OPTIONS")
                    || k.equals("JAVA_TOOL_OPTIONS"));
    pb.environment().putAll(env);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void theLocalJvmGetsTheSerialCollectorAndAFixedMmapThresholdUnlessTheUserChoseOthers()
      throws Exception {
    String plain = launch(java.util.Map.of());
    assertThat(plain).contains("-XX:+UseSerialGC").contains("malloc: 1048576");

    String g1 = launch(java.util.Map.of("JAVA_OPTS", "-XX:+UseG1GC -Dx=1"));
    assertThat(g1).contains("-XX:+UseG1GC").doesNotContain("UseSerialGC");

    assertThat(launch(java.util.Map.of("MALLOC_MMAP_THRESHOLD_", "65536")))
        .contains("malloc: 65536");
    assertThat(launch(java.util.Map.of("OCTET_MALLOC", "glibc"))).contains("malloc: unset");
    assertThat(launch(java.util.Map.of("JAVA_TOOL_OPTIONS", "-XX:+UseParallelGC")))
        .doesNotContain("UseSerialGC");
    assertThat(launch(java.util.Map.of("JAVA_OPTS", "-XX:+UseDynamicNumberOfGCThreads")))
        .as("not a collector")
        .contains("-XX:+UseSerialGC");
  }
}
