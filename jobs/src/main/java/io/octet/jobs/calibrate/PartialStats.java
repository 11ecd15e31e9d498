package io.octet.jobs.calibrate;

import io.octet.histogram.Histogram;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One partition's (or a merged group's) histograms and row count. Merging is exact and order-free,
 * because {@link Histogram#merge} is.
 *
 * @param histograms by tensor, in plan order
 * @param rows rows observed
 */
public record PartialStats(Map<String, Histogram> histograms, long rows) implements Serializable {
  /** Keeps insertion order. */
  public PartialStats {
    histograms = new LinkedHashMap<>(histograms);
  }

  /**
   * Merges two partials.
   *
   * @param a one
   * @param b another (same tensors)
   * @return the union
   */
  public static PartialStats merge(PartialStats a, PartialStats b) {
    Map<String, Histogram> out = new LinkedHashMap<>();
    for (Map.Entry<String, Histogram> e : a.histograms().entrySet()) {
      Histogram other = b.histograms().get(e.getKey());
      out.put(e.getKey(), other == null ? e.getValue() : Histogram.merge(e.getValue(), other));
    }
    for (Map.Entry<String, Histogram> e : b.histograms().entrySet()) {
      out.putIfAbsent(e.getKey(), e.getValue());
    }
    return new PartialStats(out, a.rows() + b.rows());
  }

  /**
   * Joins the histograms of another tensor group gathered over the same rows.
   *
   * @param other the other group's stats (other tensors, same rows)
   * @return both groups' histograms
   */
  public PartialStats union(PartialStats other) {
    if (other.rows() != rows) {
      throw new IllegalStateException(
          "tensor groups saw different row counts: " + rows + " and " + other.rows());
    }
    Map<String, Histogram> out = new LinkedHashMap<>(histograms);
    for (Map.Entry<String, Histogram> e : other.histograms().entrySet()) {
      if (out.putIfAbsent(e.getKey(), e.getValue()) != null) {
        throw new IllegalStateException("tensor " + e.getKey() + " is in two groups");
      }
    }
    return new PartialStats(out, rows);
  }
}
