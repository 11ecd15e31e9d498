package io.octet.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * One bucket of the {@link S3Server}, read and written through the AWS SDK (never through Octet or
 * S3A, so the tests check what any other S3 client would see), and Octet's warehouse layout in it.
 */
final class Bucket {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final S3Server server;
  private final String name;

  Bucket(S3Server server, String name) {
    this.server = server;
    this.name = name;
  }

  String name() {
    return name;
  }

  /** Returns {@code s3a://<bucket>/<key>}. */
  String uri(String key) {
    return "s3a://" + name + "/" + key;
  }

  private S3Client client() {
    return server.client();
  }

  void put(String key, byte[] bytes) {
    client().putObject(b -> b.bucket(name).key(key), RequestBody.fromBytes(bytes));
  }

  void put(String key, String text) {
    put(key, text.getBytes(StandardCharsets.UTF_8));
  }

  void upload(String key, Path file) {
    client().putObject(b -> b.bucket(name).key(key), RequestBody.fromFile(file));
  }

  /**
   * Uploads a local dataset: a single file to {@code key}, or the visible files of a directory
   * (Parquet parts and {@code _SUCCESS}, no {@code .crc}) under {@code key/}.
   */
  void uploadDataset(String key, Path fileOrDir) {
    if (Files.isRegularFile(fileOrDir)) {
      upload(key, fileOrDir);
      return;
    }
    try (Stream<Path> s = Files.list(fileOrDir)) {
      for (Path p : s.sorted().toList()) {
        String n = p.getFileName().toString();
        if (!n.startsWith(".") && !n.endsWith(".crc")) {
          upload(key + "/" + n, p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean exists(String key) {
    try {
      client().headObject(b -> b.bucket(name).key(key));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  byte[] bytes(String key) {
    return client().getObjectAsBytes(b -> b.bucket(name).key(key)).asByteArray();
  }

  String text(String key) {
    return new String(bytes(key), StandardCharsets.UTF_8);
  }

  JsonNode json(String key) {
    try {
      return JSON.readTree(bytes(key));
    } catch (IOException e) {
      throw new UncheckedIOException("Not JSON: s3://" + name + "/" + key, e);
    }
  }

  /** Returns every key under a prefix, sorted. */
  List<String> keys(String prefix) {
    List<String> out = new ArrayList<>();
    client()
        .listObjectsV2Paginator(b -> b.bucket(name).prefix(prefix))
        .contents()
        .forEach((S3Object o) -> out.add(o.key()));
    out.sort(String::compareTo);
    return out;
  }

  // ---- Octet's warehouse layout ----

  /** Returns {@code <warehouse>/<model>/latest} parsed, if present. */
  Optional<JsonNode> latest(String warehouse, String model) {
    String key = warehouse + "/" + model + "/latest";
    return exists(key) ? Optional.of(json(key)) : Optional.empty();
  }

  /** Returns the run summary {@code <warehouse>/_runs/<run-id>/summary.json}. */
  JsonNode summary(String warehouse, String runId) {
    return json(warehouse + "/_runs/" + runId + "/summary.json");
  }

  /** Returns a model's entry of a run summary, or fails naming the models present. */
  static JsonNode model(JsonNode summary, String model) {
    for (JsonNode m : summary.path("models")) {
      if (model.equals(m.path("name").asText())) {
        return m;
      }
    }
    throw new AssertionError("No model '" + model + "' in summary " + summary);
  }

  /** Returns the run prefix key of a model: {@code <warehouse>/<model>/<version>/<run-id>}. */
  static String runPrefix(String warehouse, String model, String runId) {
    return warehouse + "/" + model + "/1/" + runId;
  }

  /**
   * Checks a manifest against the artifacts next to it: every listed artifact exists with the
   * recorded size and SHA-256, and the run id matches its prefix.
   *
   * @return the problems found (empty when it verifies)
   */
  List<String> verifyManifest(String manifestKey) {
    List<String> problems = new ArrayList<>();
    JsonNode m = json(manifestKey);
    String prefix = manifestKey.substring(0, manifestKey.lastIndexOf('/'));
    if (!prefix.endsWith("/" + m.path("run-id").asText())) {
      problems.add("run-id " + m.path("run-id") + " does not match prefix " + prefix);
    }
    if (m.path("artifacts").isEmpty()) {
      problems.add("no artifacts listed");
    }
    for (JsonNode a : m.path("artifacts")) {
      String key = prefix + "/" + a.path("name").asText();
      if (!exists(key)) {
        problems.add(key + " missing");
        continue;
      }
      byte[] b = bytes(key);
      if (b.length != a.path("size").asLong()) {
        problems.add(key + " size " + b.length + " != " + a.path("size"));
      }
      if (!sha256(b).equals(a.path("sha256").asText())) {
        problems.add(key + " sha256 differs from the manifest");
      }
    }
    return problems;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
