package io.octet.jobs;

import io.octet.config.RegistryConfig;
import io.octet.jobs.cli.Args;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.publish.RunIds;
import io.octet.storage.Uris;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code bin/octet gc}: removes what runs that died left in the warehouse, once nothing in it
 * changed for {@code run.gc-grace}: {@code _staging/<run-id>/}, run prefixes {@code
 * <model>/<version>/<run-id>/} without {@code manifest.json}, and run claims {@code
 * _runs/<run-id>/} without {@code summary.json}. Published runs (a manifest) and finished runs (a
 * summary) are never touched.
 */
final class Gc {
  private Gc() {}

  /**
   * A leftover: a prefix, when it last changed and whether it is complete.
   *
   * @param prefix the prefix URI
   * @param kind what it is, for the console
   * @param newest the newest modification time under it (ms)
   * @param complete whether it holds its completion file (manifest or summary)
   */
  record Candidate(String prefix, String kind, long newest, boolean complete) {}

  static int run(Args a, RegistryConfig reg, PrintStream out) {
    String warehouse = Uris.normalize(reg.warehouse());
    HadoopObjectStore store =
        new HadoopObjectStore(HadoopObjectStore.fromSparkConf(reg.hadoop()), reg.hadoop());
    Duration grace = reg.run().gcGrace();
    boolean dryRun = a.switches().contains("dry-run");
    List<Candidate> stale = stale(store.listAll(warehouse), warehouse, grace, Instant.now());
    for (Candidate c : stale) {
      out.printf(
          "[octet] gc %s %s (%s, unchanged since %s)%n",
          dryRun ? "would remove" : "removing",
          Uris.redact(c.prefix()),
          c.kind(),
          Instant.ofEpochMilli(c.newest()));
      if (!dryRun) {
        store.delete(c.prefix());
      }
    }
    out.printf(
        "[octet] gc: %d leftover(s) older than %s %s%n",
        stale.size(), grace, dryRun ? "found (dry run: nothing removed)" : "removed");
    return 0;
  }

  /**
   * Picks the incomplete prefixes older than the grace period.
   *
   * @param files every file of the warehouse
   * @param warehouse the warehouse root
   * @param grace the grace period
   * @param now the current time
   * @return the prefixes to remove, sorted
   */
  static List<Candidate> stale(
      List<HadoopObjectStore.Entry> files, String warehouse, Duration grace, Instant now) {
    Map<String, Candidate> groups = new TreeMap<>();
    String root = Uris.normalize(warehouse);
    // Compared by path: Hadoop lists file:/x where the warehouse says file:///x.
    String rootPath = java.net.URI.create(root).getPath();
    for (HadoopObjectStore.Entry f : files) {
      String rel = Uris.relativize(rootPath, java.net.URI.create(f.uri()).getPath());
      String[] parts = rel.split("/");
      if (parts.length < 3) {
        continue;
      }
      String key;
      String kind;
      boolean completes;
      if (parts[0].equals("_staging") && RunIds.isValid(parts[1])) {
        key = parts[0] + "/" + parts[1];
        kind = "staging of a run that did not finish";
        completes = false;
      } else if (parts[0].equals("_runs") && RunIds.isValid(parts[1])) {
        key = parts[0] + "/" + parts[1];
        kind = "run claim without a summary";
        // Only a lone claim is a leftover: a summary, or the skip records the single-stage
        // commands write there, belong to a run that did its work.
        completes = !(parts.length == 3 && parts[2].equals(io.octet.publish.Publisher.CLAIM));
      } else if (parts.length >= 4 && !parts[0].startsWith("_") && RunIds.isValid(parts[2])) {
        key = parts[0] + "/" + parts[1] + "/" + parts[2];
        kind = "run prefix without a manifest";
        completes = parts.length == 4 && parts[3].equals("manifest.json");
      } else {
        continue;
      }
      Candidate old = groups.get(key);
      groups.put(
          key,
          new Candidate(
              Uris.join(root, key),
              kind,
              Math.max(old == null ? Long.MIN_VALUE : old.newest(), f.modified()),
              completes || old != null && old.complete()));
    }
    long cutoff = now.minus(grace).toEpochMilli();
    List<Candidate> out = new ArrayList<>();
    for (Candidate c : groups.values()) {
      if (!c.complete() && c.newest() < cutoff) {
        out.add(c);
      }
    }
    return out;
  }
}
