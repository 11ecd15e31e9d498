package io.octet.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.error.QuantErrors;
import io.octet.storage.ObjectStore;
import io.octet.storage.Uris;
import io.octet.util.Hashing;
import io.octet.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a model's artifacts to {@code <warehouse>/<model>/<version>/<run-id>/}, then {@code
 * manifest.json} (created only if absent), verifies what landed against the manifest, and only
 * then, for a model that passed, replaces {@code <warehouse>/<model>/latest}.
 *
 * <p>A reader that follows {@code latest} finds a manifest, and a manifest is only written after
 * every artifact it lists; a run killed at any point leaves {@code latest} on the previous good
 * run, and its half-written prefix (no manifest) is never referenced.
 */
public final class Publisher {
  /** Format tag of manifest.json. */
  public static final String MANIFEST_FORMAT = "octet-manifest/1";

  /** Format tag of a run prefix's claim marker. */
  public static final String CLAIM_FORMAT = "octet-claim/1";

  /**
   * The marker created (conditionally) in a run prefix before its first artifact: whoever creates
   * it owns the prefix. Its leading underscore keeps it out of listings of artifacts.
   */
  public static final String CLAIM = "_claim.json";

  /** Format tag of the latest pointer. */
  public static final String LATEST_FORMAT = "octet-latest/1";

  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  private final ObjectStore store;
  private final String warehouse;

  /**
   * Creates a publisher.
   *
   * @param store the storage
   * @param warehouse the warehouse root URI
   */
  public Publisher(ObjectStore store, String warehouse) {
    this.store = store;
    this.warehouse = Uris.normalize(warehouse);
  }

  /**
   * Returns the warehouse root.
   *
   * @return the normalized URI
   */
  public String warehouse() {
    return warehouse;
  }

  /**
   * Returns a run's artifact prefix for a model.
   *
   * @param model the model name
   * @param version the version
   * @param runId the run id
   * @return the prefix URI
   */
  public String runPrefix(String model, String version, String runId) {
    return Uris.join(warehouse, model, version, runId);
  }

  /**
   * A file to publish.
   *
   * @param name its name under the run prefix
   * @param local the local file
   */
  public record Artifact(String name, Path local) {}

  /**
   * Where {@code latest} points.
   *
   * @param runId the run that passed last
   * @param version its version
   * @param manifest the manifest URI
   * @param inputsHash the hash of that run's inputs (model, data, config)
   */
  public record Latest(String runId, String version, String manifest, String inputsHash) {}

  /**
   * The outcome of a publish.
   *
   * @param prefix the run prefix
   * @param manifest the manifest URI
   * @param promoted whether {@code latest} now points at this run
   */
  public record Result(String prefix, String manifest, boolean promoted) {}

  /**
   * Reads a model's {@code latest} pointer.
   *
   * @param model the model name
   * @return the pointer, if the model was ever promoted
   */
  public Optional<Latest> latest(String model) {
    String uri = Uris.join(warehouse, model, "latest");
    if (!store.exists(uri)) {
      return Optional.empty();
    }
    JsonNode n = Json.parse(store.readBytes(uri), uri);
    return Optional.of(
        new Latest(
            n.path("run-id").asText(),
            n.path("version").asText(),
            Uris.join(warehouse, n.path("manifest").asText()),
            n.path("inputs-hash").asText()));
  }

  /**
   * Publishes a run's artifacts for one model.
   *
   * @param model the model name
   * @param version the version
   * @param runId the run id
   * @param artifacts the files
   * @param body manifest content supplied by the caller (config, metrics, versions...); the
   *     publisher adds format, identity, artifacts with checksums and the inputs hash
   * @param inputsHash hash of the run's inputs, compared by later runs to skip unchanged models
   * @param promote move {@code latest} here (the model passed its gate)
   * @return where it went
   */
  public Result publish(
      String model,
      String version,
      String runId,
      List<Artifact> artifacts,
      ObjectNode body,
      String inputsHash,
      boolean promote) {
    String prefix = runPrefix(model, version, runId);
    String manifestUri = Uris.join(prefix, "manifest.json");
    claim(prefix, model, version, runId);
    boolean published = false;
    try {
      ObjectNode manifest = Json.object();
      manifest.put("format", MANIFEST_FORMAT);
      manifest.put("model", model);
      manifest.put("version", version);
      manifest.put("run-id", runId);
      manifest.put("created", Instant.now().toString());
      manifest.put("inputs-hash", inputsHash);
      promote = promote && !newerRunIsLatest(model, runId);
      // Whether latest was to move here when the manifest was written; the latest pointer itself
      // is the authority (a newer run may still overtake this one before it moves).
      manifest.put("promoted", promote);
      ArrayNode arr = manifest.putArray("artifacts");
      for (Artifact a : artifacts) {
        String dest = Uris.join(prefix, a.name());
        store.upload(a.local(), dest);
        ObjectNode o = arr.addObject();
        o.put("name", a.name());
        o.put("size", fileSize(a.local()));
        o.put("sha256", Hashing.sha256(open(a.local())));
      }
      manifest.setAll(body);
      byte[] bytes = Json.bytes(manifest);
      if (!store.createIfAbsent(manifestUri, bytes)) {
        throw QuantErrors.storage(
            manifestUri,
            "publishing (a manifest already exists for this run; run ids are unique, so another"
                + " writer used the same one)",
            null);
      }
      published = true;
      return finish(model, version, runId, prefix, manifestUri, bytes, inputsHash, promote);
    } catch (RuntimeException | Error e) {
      if (!published) {
        release(prefix, e);
      }
      throw e;
    }
  }

  private Result finish(
      String model,
      String version,
      String runId,
      String prefix,
      String manifestUri,
      byte[] bytes,
      String inputsHash,
      boolean promote) {
    verify(manifestUri, bytes);
    // Checked again: uploads take time, and a newer run may have been promoted meanwhile.
    promote = promote && !newerRunIsLatest(model, runId);
    if (promote) {
      ObjectNode latest = Json.object();
      latest.put("format", LATEST_FORMAT);
      latest.put("run-id", runId);
      latest.put("version", version);
      latest.put("manifest", Uris.relativize(warehouse, manifestUri));
      latest.put("inputs-hash", inputsHash);
      store.writeBytes(Uris.join(warehouse, model, "latest"), Json.bytes(latest));
      LOG.info("Promoted {} to {}/{}", model, version, runId);
    }
    return new Result(prefix, manifestUri, promote);
  }

  /**
   * Claims a run prefix before its first byte: refused when a manifest is already there (the run
   * was published and is immutable) or when another attempt holds the claim (a second writer with
   * the same run id, or an attempt that died before it could clean up).
   */
  private void claim(String prefix, String model, String version, String runId) {
    String manifestUri = Uris.join(prefix, "manifest.json");
    if (store.exists(manifestUri)) {
      throw QuantErrors.runIdUsed(
          runId, Uris.redact(manifestUri), "model '" + model + "' was published under it");
    }
    ObjectNode claim = Json.object();
    claim.put("format", CLAIM_FORMAT);
    claim.put("model", model);
    claim.put("version", version);
    claim.put("run-id", runId);
    claim.put("claimed", Instant.now().toString());
    String claimUri = Uris.join(prefix, CLAIM);
    boolean created;
    try {
      created = store.createIfAbsent(claimUri, Json.bytes(claim));
    } catch (RuntimeException | Error e) {
      // Our own claim failed to write (a full disk): remove what of it landed. A claim another
      // writer holds makes createIfAbsent answer false, never throw, so this deletes only ours.
      try {
        store.delete(claimUri);
        if (store.list(prefix).isEmpty()) {
          store.delete(prefix);
        }
      } catch (RuntimeException | Error again) {
        e.addSuppressed(again);
      }
      throw e;
    }
    if (!created) {
      throw QuantErrors.runIdUsed(
          runId,
          Uris.redact(claimUri),
          "another attempt claimed the prefix of model '"
              + model
              + "' and has not published it (it is still running, or died without cleaning up)");
    }
  }

  /**
   * Best effort after a failed publish: removes what this attempt wrote, claim included, so that
   * nothing half-published stays behind and the run id can be retried. A failure here (storage
   * down) leaves the claimed prefix for {@code bin/octet gc}.
   */
  private void release(String prefix, Throwable cause) {
    try {
      store.delete(prefix);
    } catch (RuntimeException | Error e) {
      cause.addSuppressed(e);
      LOG.warn("Could not remove the unpublished prefix {}: {}", Uris.redact(prefix), e.toString());
    }
  }

  /**
   * Run ids start with their UTC start time: a run that finishes late never moves latest back from
   * a newer run that already passed.
   */
  private boolean newerRunIsLatest(String model, String runId) {
    Optional<Latest> current = latest(model);
    if (current.isPresent() && current.get().runId().compareTo(runId) > 0) {
      LOG.warn(
          "Not moving {}/latest to {}: it already points to the newer run {}",
          model,
          runId,
          current.get().runId());
      return true;
    }
    return false;
  }

  /**
   * Checks that the manifest and every artifact it lists are in place with the recorded size and
   * checksum. Called before {@code latest} moves.
   *
   * @param manifestUri the manifest
   * @param expected the manifest bytes that were written
   */
  void verify(String manifestUri, byte[] expected) {
    byte[] got = store.readBytes(manifestUri);
    if (!java.util.Arrays.equals(got, expected)) {
      throw QuantErrors.storage(manifestUri, "verifying (the stored manifest differs)", null);
    }
    List<String> problems = verifyPublished(manifestUri);
    if (!problems.isEmpty()) {
      throw QuantErrors.storage(
          manifestUri, "verifying artifacts: " + String.join(", ", problems), null);
    }
  }

  /**
   * Checks a published run against its manifest: every artifact it lists is there with the recorded
   * size and SHA-256.
   *
   * @param manifestUri the manifest
   * @return the problems found, empty when the bytes match the manifest
   */
  public List<String> verifyPublished(String manifestUri) {
    String prefix = Uris.parent(manifestUri);
    JsonNode m = Json.parse(store.readBytes(manifestUri), manifestUri);
    List<String> problems = new ArrayList<>();
    for (JsonNode a : m.path("artifacts")) {
      String uri = Uris.join(prefix, a.path("name").asText());
      if (!store.exists(uri)) {
        problems.add(a.path("name").asText() + " is missing");
        continue;
      }
      if (store.size(uri) != a.path("size").asLong()) {
        problems.add(a.path("name").asText() + " has the wrong size");
        continue;
      }
      if (!Hashing.sha256(store.open(uri)).equals(a.path("sha256").asText())) {
        problems.add(a.path("name").asText() + " has the wrong checksum");
      }
    }
    return problems;
  }

  private static long fileSize(Path p) {
    try {
      return Files.size(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static java.io.InputStream open(Path p) {
    try {
      return Files.newInputStream(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
