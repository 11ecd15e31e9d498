package io.octet.it;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;

/**
 * Hadoop S3A settings that reach an {@link S3Server} on loopback, for a Hadoop {@link
 * Configuration} and for {@code spark-submit}.
 *
 * <p>The set is the minimum S3Proxy needs, found by running {@code S3aRoundTripIT} against it:
 * plain HTTP, path-style addressing, a fixed region (no region probe), static test keys and no
 * requirement for object versions in change detection. Everything else (multipart uploads,
 * checksums, conditional create) works with S3A's defaults.
 */
public final class S3aConf {
  private S3aConf() {}

  /** Returns the {@code fs.s3a.*} settings for {@code server}, in a stable order. */
  public static Map<String, String> hadoop(S3Server server) {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("fs.s3a.endpoint", server.endpoint().toString());
    conf.put("fs.s3a.endpoint.region", "us-east-1");
    conf.put("fs.s3a.path.style.access", "true");
    conf.put("fs.s3a.connection.ssl.enabled", "false");
    conf.put(
        "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    conf.put("fs.s3a.access.key", server.accessKey());
    conf.put("fs.s3a.secret.key", server.secretKey());
    // S3Proxy's filesystem store has no object versions; ETags alone detect changes.
    conf.put("fs.s3a.change.detection.version.required", "false");
    return conf;
  }

  /** Returns a Hadoop configuration with the defaults plus {@link #hadoop(S3Server)}. */
  public static Configuration configuration(S3Server server) {
    Configuration conf = new Configuration();
    hadoop(server).forEach(conf::set);
    return conf;
  }

  /**
   * Returns {@code spark-submit} settings for {@code server}: every {@link #hadoop(S3Server)} key
   * as {@code spark.hadoop.<key>} (so the driver and executors get it) plus {@code spark.jars} with
   * hadoop-aws and the AWS SDK v2 modules, which the Spark distribution lacks.
   */
  public static Map<String, String> sparkConf(S3Server server) {
    Map<String, String> conf = new LinkedHashMap<>();
    hadoop(server).forEach((key, value) -> conf.put("spark.hadoop." + key, value));
    conf.put("spark.jars", jarList(ItPaths.s3aJars()));
    return conf;
  }

  static String jarList(List<Path> jars) {
    return jars.stream().map(Path::toString).collect(Collectors.joining(","));
  }
}
