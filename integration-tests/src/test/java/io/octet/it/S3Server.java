package io.octet.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * A real S3-compatible server for integration tests: S3Proxy running as its own JVM on loopback.
 *
 * <p>It uses S3Proxy's {@code filesystem} store under a fresh directory in {@code target/it-s3/},
 * so objects survive {@link #stop()} and {@link #restart()}: a test can kill the server in the
 * middle of a publish and bring it back on the same port with the same data. Requests must be
 * signed (AWS signature v2 or v4) with {@link #accessKey()} and {@link #secretKey()}.
 *
 * <pre>{@code
 * try (S3Server s3 = S3Server.create().start()) {
 *   s3.createBucket("warehouse");
 *   Configuration conf = S3aConf.configuration(s3); // or S3aConf.sparkConf(s3) for spark-submit
 * }
 * }</pre>
 *
 * <p>The server's log is {@link #logFile()}; its properties file sits beside it.
 */
public final class S3Server implements AutoCloseable {
  private static final String ACCESS_KEY = "octet-it-access-key";
  // A test secret for a loopback server; it protects nothing.
  private static final String SECRET_KEY = "octet-it-secret-key-not-a-real-one";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path runDir;
  private final Path dataDir;
  private final Path logFile;
  private final Path propertiesFile;
  private final int port;
  private Process process;
  private S3Client client;
  private String smallDiskBucket;
  private long smallDiskBytes;

  private S3Server(Path runDir, int port) {
    this.runDir = runDir;
    this.dataDir = runDir.resolve("data");
    this.logFile = runDir.resolve("s3proxy.log");
    this.propertiesFile = runDir.resolve("s3proxy.properties");
    this.port = port;
  }

  /** Creates a server on a free port with an empty store, without starting it. */
  public static S3Server create() {
    return new S3Server(ItPaths.newRunDir("it-s3", "s3proxy"), ItProcesses.freePort());
  }

  /**
   * Puts one bucket on a disk of its own that holds only {@code bytes}: the server runs in a
   * private mount namespace ({@code unshare -rm}, unprivileged user namespaces) where a tmpfs of
   * that size is mounted on the bucket's directory, so writes past it fail with ENOSPC, as on a
   * full disk. The mount lives and dies with the server process; nothing outside sees it. Call
   * before {@link #start()}; the bucket then exists (its directory is the mount point).
   *
   * @param bucket the bucket
   * @param bytes the disk's size
   * @return this server
   */
  public synchronized S3Server smallDisk(String bucket, long bytes) {
    this.smallDiskBucket = bucket;
    this.smallDiskBytes = bytes;
    return this;
  }

  /**
   * Starts the server process (no-op when it runs) and waits until it answers HTTP; on failure the
   * process is killed and the exception carries the end of its log.
   *
   * @return this server
   */
  public synchronized S3Server start() {
    if (isRunning()) {
      return this;
    }
    try {
      Files.createDirectories(dataDir);
      writeProperties();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot prepare S3Proxy in " + runDir, e);
    }
    List<String> command = new java.util.ArrayList<>();
    if (smallDiskBucket != null) {
      Path mount = dataDir.resolve(smallDiskBucket);
      command.addAll(
          List.of(
              "unshare",
              "-rm",
              "sh",
              "-c",
              "mkdir -p \"$1\" && mount -t tmpfs -o size=\"$2\" tmpfs \"$1\" && shift 2"
                  + " && exec \"$@\"",
              "s3proxy-small-disk",
              mount.toString(),
              Long.toString(smallDiskBytes)));
    }
    command.addAll(
        List.of(
            javaBinary(),
            "-Xmx512m",
            // Keep logback's own start-up chatter out of the log.
            "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
            "-jar",
            ItPaths.s3ProxyJar().toString(),
            "--properties",
            propertiesFile.toString()));
    process = ItProcesses.start(command, Map.of("LOG_LEVEL", "info"), runDir, logFile);
    try {
      ItProcesses.awaitHttp(endpoint(), START_TIMEOUT, process, logFile);
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
    return this;
  }

  /** Kills the server process (SIGKILL, like a crash); the stored objects stay on disk. */
  public synchronized void stop() {
    if (process != null) {
      ItProcesses.kill(process);
      process = null;
    }
  }

  /** Kills the server and starts it again on the same port with the same data. */
  public synchronized void restart() {
    stop();
    start();
  }

  /** Returns whether the server process is alive. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Returns the endpoint, {@code http://127.0.0.1:<port>}. */
  public URI endpoint() {
    return URI.create("http://" + ItProcesses.LOOPBACK + ":" + port);
  }

  /** Returns the TCP port, the same across restarts. */
  public int port() {
    return port;
  }

  /** Returns the access key id requests must be signed with. */
  public String accessKey() {
    return ACCESS_KEY;
  }

  /** Returns the secret key requests must be signed with. */
  public String secretKey() {
    return SECRET_KEY;
  }

  /** Returns the directory holding the buckets ({@code <bucket>/<key>} files). */
  public Path dataDir() {
    return dataDir;
  }

  /** Returns the server's log file. */
  public Path logFile() {
    return logFile;
  }

  /**
   * Creates a bucket through the S3 API (S3A cannot create buckets). Creating a bucket that exists
   * is a no-op.
   */
  public void createBucket(String name) {
    try {
      client().createBucket(b -> b.bucket(name));
    } catch (BucketAlreadyOwnedByYouException e) {
      // Already there: fine for tests that share a server.
    }
  }

  /**
   * Returns an AWS SDK v2 client for this server (path-style, us-east-1), owned by this object and
   * closed by {@link #close()}.
   */
  public synchronized S3Client client() {
    if (client == null) {
      client =
          S3Client.builder()
              .endpointOverride(endpoint())
              .region(Region.US_EAST_1)
              .forcePathStyle(true)
              .credentialsProvider(
                  StaticCredentialsProvider.create(
                      AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
              .httpClientBuilder(ApacheHttpClient.builder())
              .build();
    }
    return client;
  }

  /** Stops the server and closes the client; the data directory stays for post-mortems. */
  @Override
  public synchronized void close() {
    if (client != null) {
      client.close();
      client = null;
    }
    stop();
  }

  @Override
  public String toString() {
    return "S3Server[" + endpoint() + ", data=" + dataDir + "]";
  }

  private void writeProperties() throws IOException {
    Properties props = new Properties();
    props.setProperty("s3proxy.endpoint", endpoint().toString());
    props.setProperty("s3proxy.authorization", "aws-v2-or-v4");
    props.setProperty("s3proxy.identity", ACCESS_KEY);
    props.setProperty("s3proxy.credential", SECRET_KEY);
    // S3Proxy 4 keeps the jclouds property names; "filesystem" maps to its NIO.2 file store.
    props.setProperty("jclouds.provider", "filesystem");
    props.setProperty("jclouds.identity", ACCESS_KEY);
    props.setProperty("jclouds.credential", SECRET_KEY);
    props.setProperty("jclouds.filesystem.basedir", dataDir.toString());
    try (Writer out = Files.newBufferedWriter(propertiesFile, StandardCharsets.UTF_8)) {
      props.store(out, "S3Proxy for Octet integration tests");
    }
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
