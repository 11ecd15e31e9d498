package io.octet.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.error.QuantException;
import io.octet.storage.LocalObjectStore;
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
        .hasMessageContaining("manifest already exists");
    assertThat(store.readBytes(first.manifest())).isEqualTo(before);
  }
}
