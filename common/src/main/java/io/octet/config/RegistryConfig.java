package io.octet.config;

import java.util.Map;
import java.util.TreeMap;

/**
 * A loaded registry: where artifacts go, run settings, Spark/Hadoop settings and the models.
 *
 * @param source where the registry came from (file or URI), for messages
 * @param warehouse the warehouse URI or path
 * @param run run-wide settings
 * @param spark extra Spark settings
 * @param hadoop Hadoop FileSystem settings (may hold secrets: never print values)
 * @param models models by name, sorted
 */
public record RegistryConfig(
    String source,
    String warehouse,
    RunConfig run,
    Map<String, String> spark,
    Map<String, String> hadoop,
    Map<String, ModelConfig> models) {
  /** Copies the maps (sorted by key, so iteration is deterministic). */
  public RegistryConfig {
    spark = Map.copyOf(spark);
    hadoop = Map.copyOf(hadoop);
    models = java.util.Collections.unmodifiableMap(new TreeMap<>(models));
  }
}
