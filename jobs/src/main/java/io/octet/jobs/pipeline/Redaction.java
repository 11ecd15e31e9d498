package io.octet.jobs.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.octet.storage.Uris;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of everything Octet writes: values of keys that name a secret become {@code
 * ****}, and credentials embedded in URIs are removed.
 */
public final class Redaction {
  /** Key names that hold secrets. */
  public static final Pattern SECRET_KEY =
      Pattern.compile(
          "(?i).*(secret|password|passwd|token|credential|access[._-]?key|session[._-]?key).*");

  private Redaction() {}

  /**
   * Returns a redacted deep copy of a config tree.
   *
   * @param node the tree
   * @return the copy
   */
  public static JsonNode config(JsonNode node) {
    JsonNode copy = node.deepCopy();
    redact(copy);
    return copy;
  }

  private static void redact(JsonNode n) {
    if (n instanceof ObjectNode o) {
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      java.util.List<String> secret = new java.util.ArrayList<>();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (SECRET_KEY.matcher(e.getKey()).matches() && !e.getValue().isNull()) {
          secret.add(e.getKey());
        } else if (e.getValue().isTextual()) {
          e.setValue(TextNode.valueOf(Uris.redact(e.getValue().asText())));
        } else {
          redact(e.getValue());
        }
      }
      secret.forEach(k -> o.put(k, "****"));
    } else if (n instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual()) {
          a.set(i, TextNode.valueOf(Uris.redact(a.get(i).asText())));
        } else {
          redact(a.get(i));
        }
      }
    }
  }

  /**
   * Redacts a map of settings for display.
   *
   * @param settings key → value
   * @return a copy with secret values masked
   */
  public static Map<String, String> settings(Map<String, String> settings) {
    Map<String, String> out = new java.util.TreeMap<>();
    settings.forEach(
        (k, v) -> out.put(k, SECRET_KEY.matcher(k).matches() ? "****" : Uris.redact(v)));
    return out;
  }
}
