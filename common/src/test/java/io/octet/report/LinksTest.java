package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LinksTest {
  private static final String RUN = "20261129T153000Z-ab12cd";

  @Test
  void runPageReachesArtifactsTwoLevelsUp() {
    String runDir = Links.parent(RunReport.path(RUN));
    assertThat(runDir).isEqualTo("_runs/" + RUN);
    assertThat(Links.relative(runDir, "minilm/1/" + RUN + "/model.int8.onnx"))
        .isEqualTo("../../minilm/1/" + RUN + "/model.int8.onnx");
    assertThat(Links.relative(runDir, "_runs/" + RUN + "/summary.json")).isEqualTo("summary.json");
  }

  @Test
  void modelPageLinksItsNeighboursAndTheRunPage() {
    String modelDir = Links.parent("minilm/1/" + RUN + "/report.html");
    assertThat(Links.relative(modelDir, "minilm/1/" + RUN + "/manifest.json"))
        .isEqualTo("manifest.json");
    assertThat(Links.relative(modelDir, RunReport.path(RUN)))
        .isEqualTo("../../../_runs/" + RUN + "/report.html");
    assertThat(Links.relative("minilm/1/" + RUN + "/", "minilm/latest"))
        .as("a trailing slash on the prefix changes nothing")
        .isEqualTo("../../latest");
  }

  @Test
  void encodesEverySegment() {
    assertThat(Links.relative("_runs/r", "my model/1/r/a b#c?.onnx"))
        .isEqualTo("../../my%20model/1/r/a%20b%23c%3F.onnx");
    assertThat(Links.relative("", "modèle/1/x")).isEqualTo("mod%C3%A8le/1/x");
    assertThat(Links.relative("", "./a/../b/c")).as("normalized").isEqualTo("b/c");
  }

  @Test
  void leavesAbsoluteAndMissingTargetsUnlinked() {
    assertThat(Links.relative("_runs/r", null)).isNull();
    assertThat(Links.relative("_runs/r", " ")).isNull();
    assertThat(Links.relative("_runs/r", "s3a://bucket/zoo/model.onnx")).isNull();
    assertThat(Links.relative("_runs/r", "/srv/zoo/model.onnx")).isNull();
    assertThat(Links.relative("_runs/r", "javascript:alert(1)")).isNull();
  }
}
