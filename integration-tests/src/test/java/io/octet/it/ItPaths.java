package io.octet.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where the harness finds what Maven and {@code tools/it/setup-spark.sh} prepared for it.
 *
 * <p>Failsafe passes every location as a system property (see {@code integration-tests/pom.xml});
 * the fallbacks let an IDE run the tests from the module or the repository directory after {@code
 * mvn -pl integration-tests package -DskipITs}. Every lookup fails with a message saying how to
 * produce what is missing: the ITs never skip silently.
 */
public final class ItPaths {
  private ItPaths() {}

  /** Returns the Spark version the root pom pins; the cluster's distribution must match it. */
  public static String sparkVersion() {
    return System.getProperty("octet.it.spark.version", "4.1.1");
  }

  /** Returns the {@code integration-tests} module directory. */
  public static Path moduleDir() {
    String prop = System.getProperty("octet.it.module.dir");
    if (prop != null) {
      return Paths.get(prop).toAbsolutePath();
    }
    Path cwd = Paths.get("").toAbsolutePath();
    if (Files.isDirectory(cwd.resolve("src/test/java/io/octet/it"))) {
      return cwd;
    }
    return cwd.resolve("integration-tests");
  }

  /** Returns the repository root. */
  public static Path repoRoot() {
    return moduleDir().getParent();
  }

  /** Returns the module's build directory ({@code integration-tests/target}). */
  public static Path targetDir() {
    String prop = System.getProperty("octet.it.target.dir");
    return prop != null ? Paths.get(prop).toAbsolutePath() : moduleDir().resolve("target");
  }

  /** Returns a fresh directory under {@code target/<area>/} named after {@code prefix}. */
  public static Path newRunDir(String area, String prefix) {
    try {
      Path parent = Files.createDirectories(targetDir().resolve(area));
      return Files.createTempDirectory(parent, prefix + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a run directory under target/" + area, e);
    }
  }

  /** Returns S3Proxy's standalone jar, copied by maven-dependency-plugin. */
  public static Path s3ProxyJar() {
    Path jar = pathProperty("octet.it.s3proxy.jar", targetDir().resolve("it-tools/s3proxy.jar"));
    return requireFile(jar, "S3Proxy jar", "mvn -pl integration-tests generate-test-resources");
  }

  /**
   * Returns the jars executors need for {@code s3a://} on top of the Spark distribution: hadoop-aws
   * and the individual AWS SDK v2 modules (no SDK bundle).
   */
  public static List<Path> s3aJars() {
    Path dir = pathProperty("octet.it.s3a.jars.dir", targetDir().resolve("it-tools/s3a-jars"));
    List<Path> jars = listJars(dir);
    if (jars.stream().noneMatch(p -> p.getFileName().toString().startsWith("hadoop-aws-"))) {
      throw new IllegalStateException(
          "No hadoop-aws jar in "
              + dir
              + "; run `mvn -pl integration-tests generate-test-resources` to copy the S3A jars");
    }
    return jars;
  }

  /** Returns the small jar of test Spark applications ({@code io.octet.it.jobs}). */
  public static Path itJobsJar() {
    String prop = System.getProperty("octet.it.jobs.jar");
    if (prop != null) {
      return requireFile(Paths.get(prop), "IT jobs jar", "mvn -pl integration-tests package");
    }
    List<Path> candidates =
        listJars(targetDir()).stream()
            .filter(p -> p.getFileName().toString().endsWith("-it-jobs.jar"))
            .collect(Collectors.toList());
    if (candidates.size() != 1) {
      throw new IllegalStateException(
          "Expected one *-it-jobs.jar in "
              + targetDir()
              + ", found "
              + candidates
              + "; run `mvn -pl integration-tests package -DskipITs` first");
    }
    return candidates.get(0);
  }

  /**
   * Returns Octet's shaded jar, the one ops teams pass to {@code spark-submit} ({@code
   * jobs/target/octet-jobs-<version>-shaded.jar}).
   */
  public static Path octetJar() {
    Path fallback = null;
    Path target = repoRoot().resolve("jobs/target");
    for (Path p : listJars(target)) {
      if (p.getFileName().toString().endsWith("-shaded.jar")) {
        fallback = p;
      }
    }
    Path jar =
        pathProperty("octet.it.octet.jar", fallback != null ? fallback : target.resolve("none"));
    return requireFile(jar, "Octet shaded jar", "mvn -q -DskipTests install");
  }

  /**
   * Returns the S3A jars Octet's build collects for {@code spark-submit --jars} ({@code
   * jobs/target/s3a-jars/}: hadoop-aws and the AWS SDK v2 modules, no bundle).
   */
  public static List<Path> octetS3aJars() {
    Path dir =
        pathProperty("octet.it.octet.s3a.jars.dir", repoRoot().resolve("jobs/target/s3a-jars"));
    List<Path> jars = listJars(dir);
    if (jars.stream().noneMatch(p -> p.getFileName().toString().startsWith("hadoop-aws-"))) {
      throw new IllegalStateException(
          "No hadoop-aws jar in " + dir + "; run `mvn -q -DskipTests install` to build jobs/");
    }
    return jars;
  }

  /**
   * Returns a directory for prepared test data that outlives one test class (models and datasets
   * generated once, under {@code target/it-data/<name>}).
   */
  public static Path dataDir(String name) {
    try {
      return Files.createDirectories(targetDir().resolve("it-data").resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create target/it-data/" + name, e);
    }
  }

  /**
   * Returns the directory holding the third real model's generated data ({@code data/calib.parquet}
   * and {@code data/val.parquet}, made by {@code models/third/prepare.py}): {@code models/third}
   * when its data was generated in place, else {@code tools/it/.cache/third}, where {@code
   * tools/it/setup-third.sh} puts it.
   *
   * @throws IllegalStateException naming the setup script when neither has the data
   */
  public static Path thirdModelDataDir() {
    List<Path> candidates =
        List.of(repoRoot().resolve("models/third"), repoRoot().resolve("tools/it/.cache/third"));
    for (Path dir : candidates) {
      if (Files.isRegularFile(dir.resolve("data/calib.parquet"))
          && Files.isRegularFile(dir.resolve("data/val.parquet"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "No data for the third model (PP-OCRv4 detection) in "
            + candidates
            + ". Run `tools/it/setup-third.sh` from the repository root: it installs the pinned"
            + " Python packages of models/third/requirements.txt into a venv and runs"
            + " models/third/prepare.py (see models/third/README.md).");
  }

  /**
   * Returns the Spark distribution installed by {@code tools/it/setup-spark.sh}.
   *
   * <p>Looked up in {@code -Doctet.it.spark.home}, then {@code $OCTET_IT_SPARK_HOME}, then the
   * script's default venv {@code tools/it/.venv}. {@code $SPARK_HOME} is deliberately ignored: it
   * often points at another Spark version.
   *
   * @throws IllegalStateException naming the setup script when Spark is missing or of another
   *     version
   */
  public static Path sparkHome() {
    String fromProp = System.getProperty("octet.it.spark.home");
    String fromEnv = System.getenv("OCTET_IT_SPARK_HOME");
    Path home;
    if (fromProp != null && !fromProp.isBlank()) {
      home = Paths.get(fromProp);
    } else if (fromEnv != null && !fromEnv.isBlank()) {
      home = Paths.get(fromEnv);
    } else {
      home = findInVenv(repoRoot().resolve("tools/it/.venv"));
    }
    String version = sparkVersion();
    String fix =
        "Run `tools/it/setup-spark.sh` from the repository root: it installs pyspark=="
            + version
            + " (a full Spark distribution) into tools/it/.venv. See tools/it/README.md.";
    if (home == null || !Files.isExecutable(home.resolve("bin/spark-submit"))) {
      throw new IllegalStateException(
          "No Spark distribution for the integration tests"
              + (home == null ? "" : " at " + home)
              + ". "
              + fix);
    }
    Path coreJar = home.resolve("jars/spark-core_2.13-" + version + ".jar");
    if (!Files.isRegularFile(coreJar)) {
      throw new IllegalStateException(
          "The Spark distribution at " + home + " is not Spark " + version + ". " + fix);
    }
    return home.toAbsolutePath();
  }

  private static Path findInVenv(Path venv) {
    Path lib = venv.resolve("lib");
    if (!Files.isDirectory(lib)) {
      return null;
    }
    try (Stream<Path> pythons = Files.list(lib)) {
      return pythons
          .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).startsWith("python"))
          .map(p -> p.resolve("site-packages/pyspark"))
          .filter(Files::isDirectory)
          .findFirst()
          .orElse(null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path pathProperty(String name, Path fallback) {
    String value = System.getProperty(name);
    return value != null ? Paths.get(value).toAbsolutePath() : fallback;
  }

  private static Path requireFile(Path file, String what, String command) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          "Missing " + what + " at " + file + "; run `" + command + "` first");
    }
    return file;
  }

  private static List<Path> listJars(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".jar"))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
