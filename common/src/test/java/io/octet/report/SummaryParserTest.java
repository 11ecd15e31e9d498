package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SummaryParserTest {
  private static final RunSummary SPARSE =
      RunSummary.parse(Fixtures.resource("summary-sparse.json"));

  @Test
  void readsACompleteEntry() {
    ModelResult m = SPARSE.models().get(0);
    assertThat(SPARSE.runId()).isEqualTo("20261129T153000Z-ab12cd");
    assertThat(SPARSE.duration().getSeconds()).isEqualTo(667);
    assertThat(m.status()).isEqualTo(ModelStatus.PASSED);
    assertThat(m.stages()).containsOnlyKeys("calibrate", "quantize", "validate", "publish");
    assertThat(m.stages().get("quantize").rows()).isEqualTo(-1);
    assertThat(m.totalSeconds()).isEqualTo(12.3 + 2.1 + 8.0 + 0.4);
    assertThat(m.metrics().meanCosine()).isEqualTo(0.9907);
    assertThat(m.metrics().fp32Accuracy()).as("null in JSON").isNaN();
    assertThat(m.latency().ratio()).isEqualTo(1.5 / 3.1);
    assertThat(m.gate().thresholds())
        .as("null thresholds are not checked")
        .containsOnlyKeys("min-mean-cosine", "max-latency-ratio");
    assertThat(m.nodeSqnr())
        .singleElement()
        .extracting(ModelResult.NodeSqnr::sqnrDb)
        .isEqualTo(31.2);
    assertThat(m.artifacts().model()).isEqualTo("minilm/1/20261129T153000Z-ab12cd/model.int8.onnx");
    assertThat(m.latestMoved()).isTrue();
  }

  @Test
  void toleratesNullAndMissingSections() {
    ModelResult failed = SPARSE.models().get(1);
    assertThat(failed.status()).isEqualTo(ModelStatus.FAILED);
    assertThat(failed.error().kind()).isEqualTo("BAD_DATA");
    assertThat(failed.error().stage()).isEqualTo("calibrate");
    assertThat(failed.metrics()).isNull();
    assertThat(failed.latency()).isNull();
    assertThat(failed.size()).isNull();
    assertThat(failed.gate()).isNull();
    assertThat(failed.artifacts()).isNull();
    assertThat(failed.nodeSqnr()).isEmpty();
    assertThat(failed.config()).isEmpty();

    ModelResult skipped = SPARSE.models().get(2);
    assertThat(skipped.status()).isEqualTo(ModelStatus.SKIPPED);
    assertThat(skipped.version()).isEmpty();
    assertThat(skipped.mode()).isNull();
    assertThat(skipped.stages()).isEmpty();
    assertThat(skipped.latestMoved()).isNull();

    assertThat(SPARSE.models().get(3).status()).as("a newer status").isEqualTo(ModelStatus.UNKNOWN);
    assertThat(SPARSE.count(ModelStatus.FAILED)).isEqualTo(1);
  }

  @Test
  void masksSecretsInConfigAndUris() {
    var config = SPARSE.models().get(0).config();
    assertThat(config)
        .containsEntry("hadoop.fs.s3a.access.key", Secrets.MASK)
        .containsEntry("hadoop.fs.s3a.secret.key", Secrets.MASK)
        .containsEntry("hadoop.fs.s3a.endpoint", "http://127.0.0.1:9000")
        .containsEntry("db.password", Secrets.MASK)
        .containsEntry("db.user", "octet")
        .containsEntry("authToken", Secrets.MASK)
        .containsEntry("credentials.user", Secrets.MASK)
        .containsEntry("tokenizer", "file:///models/tokenizer.json")
        .containsEntry("uri", "s3a://****@models/minilm.onnx")
        .containsEntry("quantization.op-types", "[MatMul, Add]")
        .containsEntry("quantization.tensor-overrides", "{}")
        .containsEntry("inputs[0].name", "input_ids");
    assertThat(String.join(" ", config.values())).doesNotContain("s3cr3t").doesNotContain("AKIA");
    assertThat(SPARSE.registry()).isEqualTo("s3a://****@configs/registry.conf");
  }

  @Test
  void secretKeyNamesAreRecognized() {
    assertThat(Secrets.isSecretKey("fs.s3a.secret.key")).isTrue();
    assertThat(Secrets.isSecretKey("aws_access_key_id")).isTrue();
    assertThat(Secrets.isSecretKey("accessKeyId")).isTrue();
    assertThat(Secrets.isSecretKey("api-key")).isTrue();
    assertThat(Secrets.isSecretKey("session.token")).isTrue();
    assertThat(Secrets.isSecretKey("db-passwd")).isTrue();
    assertThat(Secrets.isSecretKey("tokenizer-uri")).isFalse();
    assertThat(Secrets.isSecretKey("key-column")).isFalse();
    assertThat(Secrets.isSecretKey("calibration.num-bins")).isFalse();
  }

  @Test
  void rejectsOtherFormatsNamingTheSource() {
    assertThatThrownBy(
            () ->
                RunSummary.parse(
                    "{\"format\":\"octet-calibration/1\"}".getBytes(StandardCharsets.UTF_8),
                    "s3a://b/x.json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("s3a://b/x.json")
        .hasMessageContaining("octet-calibration/1")
        .hasMessageContaining(RunSummary.FORMAT);
    assertThatThrownBy(() -> RunSummary.parse("{".getBytes(StandardCharsets.UTF_8), "broken.json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("broken.json");
  }
}
