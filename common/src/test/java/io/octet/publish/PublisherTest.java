package io.octet.publish;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.error.QuantException;
import io.octet.storage.LocalObjectStore;
import io.octet.storage.ObjectStore;
import io.octet.util.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublisherTest {
  @TempDir Path dir;
  private LocalObjectStore store;
  private Publisher publisher;
  private Path artifact;

  @BeforeEach
  void setUp() throws Exception {
    store = new LocalObjectStore();
    publisher = new Publisher(store, dir.resolve("warehouse").toUri().toString());
    artifact = Files.writeString(dir.resolve("model.int8.onnx"), "int8 bytes");
  }

  private Publisher.Result publish(String runId, boolean passed) {
    return publisher.publish(
        "m",
        "1",
        runId,
        List.of(new Publisher.Artifact("model.int8.onnx", artifact)),
        Json.object().put("status", passed ? "passed" : "gate-failed"),
        "hash-" + runId,
        passed);
  }

  private JsonNode manifest(Publisher.Result r) {
    return Json.parse(store.readBytes(r.manifest()), r.manifest());
  }

  @Test
  void aPassingRunIsPromotedAndItsManifestSaysSo() {
    Publisher.Result r = publish("20261129T100000Z-a", true);

    assertThat(r.promoted()).isTrue();
    assertThat(publisher.latest("m").orElseThrow().runId()).isEqualTo("20261129T100000Z-a");
    JsonNode m = manifest(r);
    assertThat(m.path("promoted").asBoolean()).isTrue();
    assertThat(m.path("artifacts").get(0).path("size").asLong()).isEqualTo(10);
    assertThat(new String(store.readBytes(r.prefix() + "/model.int8.onnx"), StandardCharsets.UTF_8))
        .isEqualTo("int8 bytes");
  }

  @Test
  void aRunThatMissedItsGateIsPublishedButNotPromoted() {
    publish("20261129T100000Z-a", true);
    Publisher.Result r = publish("20261129T110000Z-b", false);

    assertThat(r.promoted()).isFalse();
    assertThat(manifest(r).path("promoted").asBoolean()).isFalse();
    assertThat(publisher.latest("m").orElseThrow().runId()).isEqualTo("20261129T100000Z-a");
  }

  @Test
  void anOlderRunFinishingLateNeverMovesLatestBack() {
    publish("20261129T110000Z-newer", true);
    Publisher.Result late = publish("20261129T100000Z-older", true);

    assertThat(late.promoted()).isFalse();
    assertThat(manifest(late).path("promoted").asBoolean()).isFalse();
    assertThat(publisher.latest("m").orElseThrow().runId()).isEqualTo("20261129T110000Z-newer");
  }

  @Test
  void aSecondManifestForTheSameRunIsRefusedAndTheFirstIsKept() {
    Publisher.Result first = publish("20261129T100000Z-a", true);
    byte[] before = store.readBytes(first.manifest());

    assertThatThrownBy(() -> publish("20261129T100000Z-a", true))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("Run id '20261129T100000Z-a' was already used")
        .hasMessageContaining("manifest.json");
    assertThat(store.readBytes(first.manifest())).isEqualTo(before);
  }

  @Test
  void aReusedRunIdFailsBeforeAnyArtifactOfThePublishedRunChanges() throws Exception {
    Publisher.Result first = publish("20261129T100000Z-a", true);
    Files.writeString(artifact, "a different model");

    assertThatThrownBy(() -> publish("20261129T100000Z-a", true))
        .isInstanceOf(QuantException.class)
        .satisfies(
            e -> assertThat(((QuantException) e).kind()).isEqualTo(QuantException.Kind.BAD_CONFIG));
    assertThat(new String(store.readBytes(first.prefix() + "/model.int8.onnx"), UTF_8))
        .as("the published bytes still match their manifest")
        .isEqualTo("int8 bytes");
    assertThat(publisher.verifyPublished(first.manifest())).isEmpty();
  }

  @Test
  void aPrefixClaimedByAnotherAttemptIsNotWritten() {
    String prefix = publisher.runPrefix("m", "1", "20261129T100000Z-a");
    store.writeBytes(prefix + "/" + Publisher.CLAIM, "{}".getBytes(UTF_8));

    assertThatThrownBy(() -> publish("20261129T100000Z-a", true))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("another attempt claimed");
    assertThat(store.exists(prefix + "/model.int8.onnx")).isFalse();
  }

  @Test
  void aFailedUploadRemovesWhatItWroteSoTheRunIdCanBeRetried() {
    FailingStore failing = new FailingStore(store, "manifest.json");
    Publisher p = new Publisher(failing, publisher.warehouse());
    List<Publisher.Artifact> files = List.of(new Publisher.Artifact("model.int8.onnx", artifact));

    assertThatThrownBy(
            () -> p.publish("m", "1", "20261129T100000Z-a", files, Json.object(), "h", true))
        .isInstanceOf(java.io.IOError.class);
    String prefix = publisher.runPrefix("m", "1", "20261129T100000Z-a");
    assertThat(store.list(prefix)).as("nothing half-published").isEmpty();
    assertThat(store.exists(prefix + "/" + Publisher.CLAIM)).isFalse();
    assertThat(publisher.latest("m")).isEmpty();

    Publisher.Result retry = publish("20261129T100000Z-a", true);
    assertThat(retry.promoted()).isTrue();
  }

  /**
   * A store whose writes of one file name fail with an Error, as Hadoop's FSError on a full disk.
   */
  private static final class FailingStore implements ObjectStore {
    private final ObjectStore d;
    private final String failing;

    FailingStore(ObjectStore d, String failing) {
      this.d = d;
      this.failing = failing;
    }

    private void check(String uri) {
      if (uri.endsWith("/" + failing)) {
        throw new java.io.IOError(new java.io.IOException("No space left on device"));
      }
    }

    @Override
    public boolean exists(String uri) {
      return d.exists(uri);
    }

    @Override
    public byte[] readBytes(String uri) {
      return d.readBytes(uri);
    }

    @Override
    public java.io.InputStream open(String uri) {
      return d.open(uri);
    }

    @Override
    public void writeBytes(String uri, byte[] data) {
      check(uri);
      d.writeBytes(uri, data);
    }

    @Override
    public boolean createIfAbsent(String uri, byte[] data) {
      check(uri);
      return d.createIfAbsent(uri, data);
    }

    @Override
    public void upload(Path local, String uri) {
      check(uri);
      d.upload(local, uri);
    }

    @Override
    public void download(String uri, Path local) {
      d.download(uri, local);
    }

    @Override
    public List<String> list(String prefix) {
      return d.list(prefix);
    }

    @Override
    public long size(String uri) {
      return d.size(uri);
    }

    @Override
    public void delete(String uri) {
      d.delete(uri);
    }
  }
}
