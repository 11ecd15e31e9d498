package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.calib.CalibrationTable;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Page structure without a browser: sections, escaping, links, self-containment, scale. */
class RunReportTest {
  private static final RunSummary SPARSE =
      RunSummary.parse(Fixtures.resource("summary-sparse.json"));
  private static final String RUN = SPARSE.runId();

  @Test
  void runPageHasOneSectionAndOneRowPerModel() {
    String html = RunReport.render(SPARSE, Map.of(), ReportOptions.defaults());
    assertThat(count(html, "<section class=\"model\"")).isEqualTo(SPARSE.models().size());
    assertThat(count(html, "<tr class=\"row-")).isEqualTo(SPARSE.models().size());
    assertThat(html)
        .contains("1 passed")
        .contains("1 failed")
        .contains("1 skipped")
        .contains("1 unknown")
        .contains("BAD_DATA in calibrate")
        .contains("90.4 MB → 23.0 MB")
        .contains("2.05× faster")
        .contains("11 min 07 s");
  }

  @Test
  void everythingFromDataIsEscaped() {
    String html = RunReport.render(SPARSE, Map.of(), ReportOptions.defaults());
    assertThat(html)
        .contains("resnet&lt;script&gt;alert(1)&lt;/script&gt;")
        .doesNotContain("<script")
        .doesNotContainPattern("id=\"[^\"]*[<>]");
    String page =
        ModelReport.render(SPARSE, SPARSE.models().get(1), null, ReportOptions.defaults());
    assertThat(page).doesNotContain("<script").contains("column &#39;pixels&#39; is missing");
  }

  @Test
  void pagesFetchNothingAndLinkRelatively() {
    String html = RunReport.render(SPARSE, Map.of(), ReportOptions.defaults());
    assertThat(html)
        .contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
        .doesNotContain(" src=")
        .doesNotContain("@import")
        .doesNotContain("url(")
        .doesNotContain("rel=\"stylesheet\"");
    // The only absolute URLs are the SVG namespace and data shown as text (registry, warehouse).
    Matcher hrefs = Pattern.compile("href=\"([^\"]*)\"").matcher(html);
    while (hrefs.find()) {
      assertThat(hrefs.group(1)).as("href").doesNotContain("://");
    }
    assertThat(html)
        .contains("href=\"../../minilm/1/" + RUN + "/model.int8.onnx\"")
        .contains("href=\"../../minilm/1/" + RUN + "/report.html\"")
        .contains("href=\"#model-minilm-v1\"")
        .contains("id=\"model-minilm-v1\"");
    String model =
        ModelReport.render(SPARSE, SPARSE.models().get(0), null, ReportOptions.defaults());
    assertThat(model)
        .contains("href=\"../../../_runs/" + RUN + "/report.html\"")
        .contains("href=\"manifest.json\"");
  }

  @Test
  void secretsNeverReachThePage() {
    String model =
        ModelReport.render(SPARSE, SPARSE.models().get(0), null, ReportOptions.defaults());
    String run = RunReport.render(SPARSE, Map.of(), ReportOptions.defaults());
    for (String page : new String[] {model, run}) {
      assertThat(page).doesNotContain("s3cr3t").doesNotContain("AKIA");
    }
    assertThat(model).contains("hadoop.fs.s3a.secret.key").contains(Secrets.MASK);
  }

  @Test
  void missingSectionsRenderAsDashesAndNotes() {
    ModelResult skipped = SPARSE.models().get(2);
    String page = ModelReport.render(SPARSE, skipped, null, ReportOptions.defaults());
    assertThat(ModelReport.path(SPARSE, skipped)).isEqualTo("bert-base//" + RUN + "/report.html");
    assertThat(page)
        .contains("Per-node SQNR was not measured")
        .contains("this model has no calibration table")
        .contains("No gate thresholds were configured")
        .contains("No stage ran");
  }

  @Test
  void hundredsOfTensorsStayCollapsed() {
    ModelResult m = SPARSE.models().get(0);
    CalibrationTable one =
        Fixtures.table("minilm", Fixtures.calibration("t", Fixtures.steps(), 0f, 2.5f));
    StressFixture.Stressed s = StressFixture.repeat(RUN, m, one, 240);
    ReportOptions o = ReportOptions.defaults();
    String page = ModelReport.render(SPARSE, s.model(), s.table(), o);
    assertThat(count(page, "<details class=\"tensor\" open>")).isEqualTo(o.topTensors());
    assertThat(count(page, "<details class=\"tensor\"")).isEqualTo(240);
    assertThat(page).contains("the 40 noisiest of 240").contains("the 40 worst of 240");
    assertThat(page.getBytes(StandardCharsets.UTF_8).length)
        .as("page weight with 240 histograms")
        .isLessThan(3_000_000);
    RunSummary stressed =
        new RunSummary(
            SPARSE.format(),
            RUN,
            SPARSE.started(),
            SPARSE.finished(),
            SPARSE.registry(),
            SPARSE.warehouse(),
            SPARSE.versions(),
            java.util.List.of(s.model()));
    String run = RunReport.render(stressed, Map.of(s.model().name(), s.table()), o);
    assertThat(run).contains("The 3 worst of 240 calibrated tensors");
  }

  private static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
