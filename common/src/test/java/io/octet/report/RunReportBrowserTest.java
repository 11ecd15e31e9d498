package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The reports of a real run over the digits CNN, opened in headless Chromium from disk: no console
 * errors, nothing fetched, every model shown, every chart drawn at a visible size. Screenshots go
 * to {@code common/target/report-screenshots/}; the warehouse stays in {@code
 * common/target/report-browser-test/} for a look by hand.
 */
@Tag("browser")
class RunReportBrowserTest {
  static final Path OUT = Path.of("target/report-browser-test").toAbsolutePath();
  static final Path SHOTS = Path.of("target/report-screenshots").toAbsolutePath();

  // Opens every <details>, then measures every <svg>: collapsed charts must draw too.
  private static final String SVG_SIZES =
      "(() => { document.querySelectorAll('details').forEach(d => d.open = true);"
          + " return [...document.querySelectorAll('svg')].map(s => {"
          + " const r = s.getBoundingClientRect(); return [r.width, r.height]; }); })()";

  private static HeadlessChromium browser;
  private static DigitsRun.Result run;

  @BeforeAll
  static void setUp() throws IOException {
    deleteTree(OUT);
    run = DigitsRun.write(Files.createDirectories(OUT.resolve("octet-warehouse")));
    browser = HeadlessChromium.launch();
  }

  @AfterAll
  static void tearDown() {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void runPageShowsEveryModelWithoutErrors() {
    try (ChromiumPage page = browser.open(run.runPage())) {
      assertClean(page, run.runPage());
      List<ModelResult> models = run.summary().models();
      assertThat(page.eval("document.querySelectorAll('section.model').length").asInt())
          .as("one section per model")
          .isEqualTo(models.size());
      JsonNode names =
          page.eval(
              "[...document.querySelectorAll('table.overview a.model-name')].map(a => a.textContent)");
      assertThat(names)
          .extracting(JsonNode::asText)
          .containsExactlyElementsOf(models.stream().map(ModelResult::name).toList());
      page.screenshot(SHOTS.resolve("run-report.png"), 6000);
      assertChartsDrawn(page, 1 + run.tables().size() * 3);
      assertLinksResolve(page, run.runPage());
    }
  }

  @Test
  void modelPagesRenderTheirChartsWithoutErrors() {
    assertThat(run.modelPages()).hasSize(3);
    for (Map.Entry<String, Path> e : run.modelPages().entrySet()) {
      try (ChromiumPage page = browser.open(e.getValue())) {
        assertClean(page, e.getValue());
        assertThat(page.eval("document.querySelectorAll('section.model').length").asInt())
            .isEqualTo(1);
        int tensors = run.tables().get(e.getKey()).tensors().size();
        // Per-layer error chart, one histogram per tensor, node chart when measured.
        assertChartsDrawn(page, 1 + tensors);
        assertLinksResolve(page, e.getValue());
        if (e.getKey().equals("digits-cnn")) {
          page.screenshot(SHOTS.resolve("model-report.png"), 8000);
        }
      }
    }
  }

  @Test
  void pageWithHundredsOfTensorsStaysUsable() throws IOException {
    ModelResult base = run.summary().models().get(0);
    StressFixture.Stressed s =
        StressFixture.repeat(run.summary().runId(), base, run.tables().get(base.name()), 48);
    RunSummary summary = withModels(run.summary(), List.of(s.model()));
    Path file = OUT.resolve("octet-warehouse").resolve(ModelReport.path(summary, s.model()));
    Files.createDirectories(file.getParent());
    Files.writeString(
        file,
        ModelReport.render(summary, s.model(), s.table(), ReportOptions.defaults()),
        StandardCharsets.UTF_8);
    long t0 = System.nanoTime();
    try (ChromiumPage page = browser.open(file)) {
      long loadMs = (System.nanoTime() - t0) / 1_000_000;
      assertClean(page, file);
      assertThat(s.table().tensors()).hasSizeGreaterThanOrEqualTo(200);
      assertThat(page.eval("document.querySelectorAll('details.tensor[open]').length").asInt())
          .as("only the worst tensors are open")
          .isEqualTo(ReportOptions.defaults().topTensors());
      assertThat(page.eval("document.querySelectorAll('details.tensor').length").asInt())
          .isEqualTo(s.table().tensors().size());
      page.screenshot(SHOTS.resolve("model-report-240-tensors.png"), 4000);
      assertChartsDrawn(page, s.table().tensors().size());
      assertThat(loadMs).as("load time of a 240-tensor page, ms").isLessThan(15_000);
    }
  }

  private static void assertClean(ChromiumPage page, Path file) {
    assertThat(page.problems()).as("console errors and failed loads on %s", file).isEmpty();
    assertThat(page.requests())
        .as("the page fetches nothing but itself")
        .containsExactly(file.toUri().toString());
  }

  private static void assertChartsDrawn(ChromiumPage page, int atLeast) {
    JsonNode sizes = page.eval(SVG_SIZES);
    assertThat(sizes.size()).as("charts on the page").isGreaterThanOrEqualTo(atLeast);
    for (JsonNode wh : sizes) {
      assertThat(wh.get(0).asDouble()).as("chart width").isGreaterThan(100);
      assertThat(wh.get(1).asDouble()).as("chart height").isGreaterThan(40);
    }
    assertThat(page.problems()).as("problems after opening every section").isEmpty();
  }

  /** Every relative link points at a file that exists in the warehouse. */
  private static void assertLinksResolve(ChromiumPage page, Path file) {
    JsonNode hrefs =
        page.eval("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))");
    assertThat(hrefs.size()).isPositive();
    for (JsonNode h : hrefs) {
      String href = h.asText();
      if (href.startsWith("#")) {
        assertThat(
                page.eval("!!document.getElementById(" + quote(href.substring(1)) + ")")
                    .asBoolean())
            .as("anchor %s", href)
            .isTrue();
        continue;
      }
      assertThat(href).as("relative link").doesNotContain("://").doesNotStartWith("/");
      Path target = file.getParent().resolve(java.net.URI.create(href).getPath()).normalize();
      assertThat(target).as("target of %s on %s", href, file).exists();
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static RunSummary withModels(RunSummary s, List<ModelResult> models) {
    return new RunSummary(
        s.format(),
        s.runId(),
        s.started(),
        s.finished(),
        s.registry(),
        s.warehouse(),
        s.versions(),
        models);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
