package io.octet.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Defensive masking for anything a report prints from config. Summaries should never hold
 * credentials, but a report is often shared more widely than the run's logs, so values under keys
 * that name a secret are replaced by {@value #MASK} and user info is cut from URIs.
 */
final class Secrets {
  /** What a masked value shows. */
  static final String MASK = "****";

  // Words that make a key secret wherever they appear in a word ("authToken", "db-password").
  private static final List<String> SECRET_WORDS =
      List.of("secret", "password", "passwd", "passphrase", "credential", "token", "signature");

  // Words that are secret only next to "key" ("access-key", "fs.s3a.access.key", "apiKey").
  private static final List<String> KEY_PREFIXES = List.of("access", "private", "api", "session");

  // scheme://user:pass@host or scheme://user@host: everything between "//" and "@" goes.

  private Secrets() {}

  /**
   * Returns whether a config key names a secret. The whole dotted path is checked, so every value
   * under {@code credentials { ... }} is masked too.
   */
  static boolean isSecretKey(String key) {
    if (key == null) {
      return false;
    }
    // Split camelCase and separators into lower-case words: "fs.s3a.accessKey" -> fs s3a access
    // key.
    String spaced = key.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    String[] words = spaced.split("[^a-z0-9]+");
    for (int i = 0; i < words.length; i++) {
      String w = words[i];
      // "tokenizer" names a file, not a credential: NLP configs are full of it.
      if (!w.startsWith("tokeniz") && SECRET_WORDS.stream().anyMatch(w::contains)) {
        return true;
      }
      for (String p : KEY_PREFIXES) {
        boolean glued = w.equals(p + "key") || w.equals(p + "keyid");
        boolean pair = w.equals(p) && i + 1 < words.length && words[i + 1].equals("key");
        if (glued || pair) {
          return true;
        }
      }
    }
    return false;
  }

  /** Removes user info (credentials) from every URI in a string; null stays null. */
  static String redactUri(String s) {
    return io.octet.storage.Uris.redactText(s, MASK);
  }

  /**
   * Flattens a config object to dotted keys in document order, masking secret values. Arrays of
   * scalars stay on one line ({@code [a, b]}); arrays holding objects are indexed ({@code
   * inputs[0].name}).
   */
  static Map<String, String> flatten(JsonNode config) {
    Map<String, String> out = new LinkedHashMap<>();
    if (config != null && config.isObject()) {
      walk("", config, out);
    }
    return out;
  }

  private static void walk(String path, JsonNode n, Map<String, String> out) {
    if (n.isObject()) {
      if (n.isEmpty() && !path.isEmpty()) {
        out.put(path, "{}");
      }
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        walk(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), out);
      }
    } else if (n.isArray() && hasContainer(n)) {
      for (int i = 0; i < n.size(); i++) {
        walk(path + "[" + i + "]", n.get(i), out);
      }
    } else {
      out.put(path, isSecretKey(path) ? MASK : redactUri(scalar(n)));
    }
  }

  private static boolean hasContainer(JsonNode array) {
    for (JsonNode e : array) {
      if (e.isContainerNode()) {
        return true;
      }
    }
    return false;
  }

  private static String scalar(JsonNode n) {
    if (n.isArray()) {
      StringBuilder b = new StringBuilder("[");
      for (int i = 0; i < n.size(); i++) {
        b.append(i == 0 ? "" : ", ").append(scalar(n.get(i)));
      }
      return b.append(']').toString();
    }
    return n.isNull() ? "null" : n.asText();
  }
}
