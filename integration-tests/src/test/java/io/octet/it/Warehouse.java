package io.octet.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Read access to a warehouse on either storage, independent of Octet's own code. */
interface Warehouse {
  ObjectMapper JSON = new ObjectMapper();

  String uri();

  List<String> keys();

  boolean exists(String rel);

  byte[] bytes(String rel);

  default JsonNode json(String rel) {
    try {
      return JSON.readTree(bytes(rel));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every key with the SHA-256 of its bytes. */
  default Map<String, String> snapshot() {
    Map<String, String> out = new TreeMap<>();
    for (String k : keys()) {
      out.put(k, Bucket.sha256(bytes(k)));
    }
    return out;
  }

  /** Checks a manifest against the bytes next to it; returns the problems. */
  default List<String> verify(String manifest) {
    List<String> problems = new ArrayList<>();
    JsonNode m = json(manifest);
    String prefix = manifest.substring(0, manifest.lastIndexOf('/'));
    if (m.path("artifacts").isEmpty()) {
      problems.add("no artifacts listed");
    }
    for (JsonNode a : m.path("artifacts")) {
      String key = prefix + "/" + a.path("name").asText();
      if (!exists(key)) {
        problems.add(key + " missing");
      } else if (!Bucket.sha256(bytes(key)).equals(a.path("sha256").asText())) {
        problems.add(key + " differs from its manifest");
      }
    }
    return problems;
  }

  static Warehouse local(Path root) {
    return new Warehouse() {
      @Override
      public String uri() {
        return root.toAbsolutePath().toUri().toString();
      }

      @Override
      public List<String> keys() {
        if (!Files.isDirectory(root)) {
          return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
          return s.filter(Files::isRegularFile)
              .map(p -> root.relativize(p).toString())
              .filter(k -> !k.contains("/.") && !k.startsWith("."))
              .sorted()
              .toList();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public boolean exists(String rel) {
        return Files.isRegularFile(root.resolve(rel));
      }

      @Override
      public byte[] bytes(String rel) {
        try {
          return Files.readAllBytes(root.resolve(rel));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  static Warehouse s3(Bucket b, String prefix) {
    return new Warehouse() {
      @Override
      public String uri() {
        return b.uri(prefix);
      }

      @Override
      public List<String> keys() {
        return b.keys(prefix + "/").stream()
            .filter(k -> !k.endsWith("/"))
            .map(k -> k.substring(prefix.length() + 1))
            .toList();
      }

      @Override
      public boolean exists(String rel) {
        return b.exists(prefix + "/" + rel);
      }

      @Override
      public byte[] bytes(String rel) {
        return b.bytes(prefix + "/" + rel);
      }
    };
  }
}
