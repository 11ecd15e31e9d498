package io.octet.report;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pipeline run's summary ({@code _runs/<run-id>/summary.json}, format {@value #FORMAT}).
 *
 * @param format the format tag
 * @param runId the run id, e.g. "20261129T153000Z-ab12cd"
 * @param started when the run started (ISO-8601), or null
 * @param finished when it finished (ISO-8601), or null
 * @param registry the registry URI, credentials removed, or null
 * @param warehouse the warehouse URI, credentials removed, or null
 * @param versions component versions by name ("octet", "onnxruntime", ...)
 * @param models one entry per selected model, in summary order
 */
public record RunSummary(
    String format,
    String runId,
    String started,
    String finished,
    String registry,
    String warehouse,
    Map<String, String> versions,
    List<ModelResult> models) {

  /** The format tag this class reads. */
  public static final String FORMAT = "octet-run-summary/1";

  /** Copies collections, keeping order. */
  public RunSummary {
    runId = runId == null ? "" : runId;
    versions =
        versions == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(versions));
    models = models == null ? List.of() : List.copyOf(models);
  }

  /**
   * Parses a run summary.
   *
   * @param json the UTF-8 JSON
   * @return the summary, with secrets in config values and URIs masked
   * @throws IllegalArgumentException if the text is not JSON or not a {@value #FORMAT} summary
   */
  public static RunSummary parse(byte[] json) {
    return parse(json, "run summary");
  }

  /**
   * Parses a run summary, naming its source in errors.
   *
   * @param json the UTF-8 JSON
   * @param source where it came from (a path or URI), for error messages
   * @return the summary, with secrets in config values and URIs masked
   * @throws IllegalArgumentException if the text is not JSON or not a {@value #FORMAT} summary
   */
  public static RunSummary parse(byte[] json, String source) {
    return SummaryParser.parse(json, source);
  }

  /**
   * Returns the run's wall time from {@code started} to {@code finished}.
   *
   * @return the duration, or null when either end is missing or unreadable
   */
  public Duration duration() {
    try {
      return started == null || finished == null
          ? null
          : Duration.between(Instant.parse(started), Instant.parse(finished));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * Counts models with a status.
   *
   * @param status the status
   * @return how many models have it
   */
  public long count(ModelStatus status) {
    return models.stream().filter(m -> m.status() == status).count();
  }
}
