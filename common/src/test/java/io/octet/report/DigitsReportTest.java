package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.calib.CalibrationTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reports of a real run over the digits CNN, checked as files (no browser). */
class DigitsReportTest {
  @TempDir static Path dir;
  private static DigitsRun.Result run;

  @BeforeAll
  static void runPipeline() {
    run = DigitsRun.write(dir.resolve("octet-warehouse"));
  }

  @Test
  void summaryHoldsEveryOutcome() {
    List<ModelResult> models = run.summary().models();
    assertThat(models).extracting(ModelResult::name).hasSize(6);
    assertThat(models.get(0).status()).isEqualTo(ModelStatus.PASSED);
    assertThat(models.get(2).status())
        .as("a gate no INT8 model can meet")
        .isEqualTo(ModelStatus.GATE_FAILED);
    assertThat(models.get(2).gate().failures()).anySatisfy(f -> assertThat(f).contains("SQNR"));
    ModelResult nan = models.get(3);
    assertThat(nan.status()).isEqualTo(ModelStatus.FAILED);
    assertThat(nan.error().kind()).isEqualTo("NON_FINITE");
    assertThat(nan.error().message()).contains("digits_cnn").contains("image");
    assertThat(nan.metrics()).isNull();
    assertThat(models.get(4).error().kind()).isEqualTo("BAD_MODEL");
    assertThat(models.get(4).error().message()).contains("truncated");
    assertThat(models.get(5).status()).isEqualTo(ModelStatus.SKIPPED);
  }

  @Test
  void calibrationTablesOnDiskMatchTheRun() throws IOException {
    for (ModelResult m : run.summary().models()) {
      if (m.artifacts() == null) {
        continue;
      }
      Path f = run.warehouse().resolve(m.artifacts().calibration());
      CalibrationTable t = CalibrationTable.fromJson(Files.readAllBytes(f), f.toString());
      assertThat(t).isEqualTo(run.tables().get(m.name()));
      assertThat(run.warehouse().resolve(m.artifacts().model())).exists();
      assertThat(run.warehouse().resolve(m.artifacts().manifest())).exists();
    }
  }

  @Test
  void worstTensorsComeFirst() {
    ModelResult mse = run.summary().models().get(0);
    List<TensorView> ranked = TensorView.ranked(run.tables().get(mse.name()), mse.nodeSqnr());
    // Each Relu output is where a Conv/Gemm output is quantized and has a node SQNR; the input
    // and the shared tensors (pool, flatten; stored for re-plans) have none and come after.
    long withSqnr = ranked.stream().filter(v -> Double.isFinite(v.nodeSqnrDb())).count();
    assertThat(withSqnr).isEqualTo(4);
    assertThat(ranked.subList(0, (int) withSqnr))
        .allSatisfy(v -> assertThat(v.nodeSqnrDb()).isFinite());
    assertThat(ranked)
        .extracting(TensorView::nodeSqnrDb)
        .first()
        .isEqualTo(
            ranked.stream()
                .mapToDouble(TensorView::nodeSqnrDb)
                .filter(Double::isFinite)
                .min()
                .orElseThrow());
    assertThat(ranked.subList((int) withSqnr, ranked.size()))
        .extracting(TensorView::name)
        .containsExactlyInAnyOrder("image", "pool_out", "flat_out");

    ModelResult pct = run.summary().models().get(1);
    assertThat(pct.nodeSqnr()).as("node SQNR off for this entry").isEmpty();
    List<TensorView> byClip = TensorView.ranked(run.tables().get(pct.name()), pct.nodeSqnr());
    for (int i = 1; i < byClip.size(); i++) {
      assertThat(byClip.get(i).clippedFraction())
          .isLessThanOrEqualTo(byClip.get(i - 1).clippedFraction());
    }
  }

  @Test
  void pagesAreWrittenWhereTheLayoutSays() throws IOException {
    String id = run.summary().runId();
    assertThat(run.runPage()).isEqualTo(run.warehouse().resolve("_runs/" + id + "/report.html"));
    assertThat(run.warehouse().resolve("_runs/" + id + "/summary.json")).exists();
    assertThat(run.modelPages())
        .containsOnlyKeys("digits-cnn", "digits-cnn-percentile", "digits-cnn-strict");
    Path page = run.modelPages().get("digits-cnn");
    assertThat(page).isEqualTo(run.warehouse().resolve("digits-cnn/1/" + id + "/report.html"));
    String html = Files.readString(page);
    int tensors = run.tables().get("digits-cnn").tensors().size();
    assertThat(html.split("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"hist\"", -1))
        .hasSize(tensors + 1);
    String runHtml = Files.readString(run.runPage());
    for (ModelResult m : run.summary().models()) {
      assertThat(runHtml).contains("data-model=\"" + m.name() + "\"");
    }
  }
}
