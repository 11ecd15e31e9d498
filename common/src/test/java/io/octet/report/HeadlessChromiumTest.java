package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The browser helper itself: it must see every kind of page problem, or a clean report proves
 * nothing.
 */
@Tag("browser")
class HeadlessChromiumTest {
  private static HeadlessChromium browser;

  @BeforeAll
  static void start() {
    browser = HeadlessChromium.launch();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void reportsConsoleErrorsAndUncaughtExceptions(@TempDir Path dir) throws Exception {
    Path f =
        write(
            dir.resolve("bad.html"),
            "<!DOCTYPE html><title>t</title><script>console.error('boom', 42);"
                + "setTimeout(() => { throw new Error('late failure'); }, 0);"
                + "null.x;</script>");
    try (ChromiumPage page = browser.open(f)) {
      page.eval("new Promise(r => setTimeout(() => r(true), 50))");
      assertThat(page.problems())
          .as("console.error, a script error and an exception thrown later")
          .anySatisfy(p -> assertThat(p).contains("console.error").contains("boom 42"))
          .anySatisfy(p -> assertThat(p).contains("uncaught exception").contains("TypeError"))
          .anySatisfy(p -> assertThat(p).contains("late failure"));
    }
  }

  @Test
  void reportsBlockedFetchesAndMissingFiles(@TempDir Path dir) throws Exception {
    Path f =
        write(
            dir.resolve("fetch.html"),
            "<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\""
                + Page.CSP
                + "\"><title>t</title><link rel=\"icon\" href=\"data:,\">"
                + "<script src=\"https://cdn.example.invalid/lib.js\"></script>"
                + "<img src=\"missing.png\" alt=\"\">");
    try (ChromiumPage page = browser.open(f)) {
      assertThat(page.problems())
          .as("a CDN script blocked by the report's CSP, and an image that is not there")
          .anySatisfy(p -> assertThat(p).contains("cdn.example.invalid"))
          .anySatisfy(p -> assertThat(p).contains("missing.png"));
    }
  }

  @Test
  void cleanPageHasNoProblemsAndEvaluatesScripts(@TempDir Path dir) throws Exception {
    Path f = write(dir.resolve("ok.html"), "<!DOCTYPE html><title>t</title><p id=x>hello</p>");
    try (ChromiumPage page = browser.open(f)) {
      assertThat(page.problems()).isEmpty();
      assertThat(page.eval("document.getElementById('x').textContent").asText()).isEqualTo("hello");
      assertThat(page.requests()).containsExactly(f.toUri().toString());
      Path png = page.screenshot(dir.resolve("ok.png"), 2000);
      byte[] head = Files.readAllBytes(png);
      assertThat(head).as("PNG signature").startsWith(0x89, 'P', 'N', 'G');
    }
  }

  private static Path write(Path p, String html) throws Exception {
    return Files.writeString(p, html, StandardCharsets.UTF_8);
  }
}
