package io.octet.quant;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes provenance into a model's {@code metadata_props}: what produced it, from which inputs,
 * with which config. Keys are prefixed {@code octet.}; existing keys of the same name are replaced,
 * all other metadata is kept.
 */
public final class Provenance {
  /** Prefix of every key Octet writes. */
  public static final String PREFIX = "octet.";

  private Provenance() {}

  /**
   * Adds or replaces metadata entries (sorted by key, so output is deterministic).
   *
   * @param model the model builder
   * @param entries keys without the prefix, and values
   */
  public static void stamp(ModelProto.Builder model, Map<String, String> entries) {
    Map<String, String> sorted = new TreeMap<>();
    entries.forEach((k, v) -> sorted.put(k.startsWith(PREFIX) ? k : PREFIX + k, v));
    for (int i = model.getMetadataPropsCount() - 1; i >= 0; i--) {
      if (sorted.containsKey(model.getMetadataProps(i).getKey())) {
        model.removeMetadataProps(i);
      }
    }
    sorted.forEach(
        (k, v) ->
            model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
  }

  /**
   * Reads Octet's entries back, without the prefix.
   *
   * @param model the model
   * @return the entries
   */
  public static Map<String, String> read(ModelProto model) {
    Map<String, String> out = new TreeMap<>();
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      if (e.getKey().startsWith(PREFIX)) {
        out.put(e.getKey().substring(PREFIX.length()), e.getValue());
      }
    }
    return out;
  }
}
