package io.octet.jobs.quantize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.ConfigRenderOptions;
import io.octet.config.ModelConfig;
import io.octet.util.Hashing;
import java.io.IOException;
import java.io.UncheckedIOException;

/** A stable hash of a model's resolved config (keys sorted, comments dropped). */
public final class ConfigHash {
  private static final ObjectMapper SORTED =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private ConfigHash() {}

  /**
   * Returns the model config as canonical JSON.
   *
   * @param m the model
   * @return JSON text with sorted keys
   */
  public static String canonicalJson(ModelConfig m) {
    try {
      String json = m.resolved().root().render(ConfigRenderOptions.concise());
      Object tree = SORTED.readValue(json, Object.class);
      return SORTED.writeValueAsString(tree);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns the model config as a JSON tree (for manifests and reports).
   *
   * @param m the model
   * @return the tree
   */
  public static JsonNode tree(ModelConfig m) {
    try {
      return SORTED.readTree(canonicalJson(m));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns the SHA-256 of the canonical JSON.
   *
   * @param m the model
   * @return the hash
   */
  public static String of(ModelConfig m) {
    return Hashing.sha256(canonicalJson(m));
  }
}
