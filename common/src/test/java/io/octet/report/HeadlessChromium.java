package io.octet.report;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.util.Json;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Headless Chromium for tests, driven over the DevTools protocol: load a page, collect every
 * console error, uncaught exception, failed load and network request, evaluate JavaScript, and take
 * full-page screenshots.
 *
 * <pre>{@code
 * try (HeadlessChromium browser = HeadlessChromium.launch();
 *     ChromiumPage page = browser.open(Path.of("report.html"))) {
 *   assertThat(page.problems()).isEmpty();
 *   page.screenshot(Path.of("target/report.png"));
 * }
 * }</pre>
 *
 * <p>The browser runs with a throw-away profile and no background networking. When Chromium is not
 * installed, {@link #launch()} throws an {@link AssertionError} that says how to install it, so a
 * test that needs a browser fails instead of passing silently.
 */
public final class HeadlessChromium implements AutoCloseable {
  private static final List<String> BINARIES =
      List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");
  private static final Pattern ENDPOINT = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final Path profile;
  private final CdpClient cdp;
  private final List<String> stderr;

  private HeadlessChromium(Process process, Path profile, CdpClient cdp, List<String> stderr) {
    this.process = process;
    this.profile = profile;
    this.cdp = cdp;
    this.stderr = stderr;
  }

  /**
   * Finds the Chromium binary: {@code $CHROMIUM_BIN}, else the first of chromium, chromium-browser,
   * google-chrome on the PATH.
   *
   * @return the executable
   * @throws AssertionError when none is installed, naming the package to install
   */
  public static Path binary() {
    return binary(System.getenv());
  }

  /** {@link #binary()} against a given environment (for tests of the not-installed message). */
  static Path binary(java.util.Map<String, String> environment) {
    String env = environment.get("CHROMIUM_BIN");
    if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) {
      return Path.of(env);
    }
    String path = environment.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
    for (String name : BINARIES) {
      for (String dir : path.split(File.pathSeparator)) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    throw new AssertionError(
        "Chromium is not installed, and the report's browser tests need it. Install it with"
            + " `apt-get install chromium` (Debian/Ubuntu, as root; add -y to skip the prompt), or"
            + " point CHROMIUM_BIN at a Chromium or Chrome executable. Searched "
            + BINARIES
            + " on PATH="
            + path);
  }

  /**
   * Starts a headless browser with a fresh profile.
   *
   * @return the browser; close it to stop the process and delete the profile
   */
  public static HeadlessChromium launch() {
    Path bin = binary();
    Path profile;
    try {
      profile = Files.createTempDirectory("octet-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd =
        List.of(
            bin.toString(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            "--hide-scrollbars",
            "--window-size=1280,900",
            "--user-data-dir=" + profile,
            "--remote-debugging-port=0",
            "about:blank");
    Process p = null;
    try {
      p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      List<String> lines = Collections.synchronizedList(new ArrayList<>());
      CompletableFuture<URI> endpoint = new CompletableFuture<>();
      Process proc = p;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(proc.getErrorStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    Matcher m = ENDPOINT.matcher(line);
                    if (m.find()) {
                      endpoint.complete(URI.create(m.group(1)));
                    }
                  }
                } catch (IOException e) {
                  endpoint.completeExceptionally(e);
                }
                endpoint.completeExceptionally(
                    new IllegalStateException("Chromium exited: " + String.join("\n", lines)));
              },
              "chromium-stderr");
      reader.setDaemon(true);
      reader.start();
      URI ws = endpoint.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new HeadlessChromium(p, profile, CdpClient.connect(ws, TIMEOUT), lines);
    } catch (Exception e) {
      if (p != null) {
        p.destroyForcibly();
      }
      deleteTree(profile);
      throw new IllegalStateException("Could not start " + bin + ": " + e.getMessage(), e);
    }
  }

  /**
   * Opens a file in a new tab and waits until it has loaded and painted.
   *
   * @param file the HTML file
   * @return the loaded page, collecting problems from before navigation on
   */
  public ChromiumPage open(Path file) {
    return open(file.toUri().toString());
  }

  /**
   * Opens a URL in a new tab and waits until it has loaded and painted.
   *
   * @param url the URL
   * @return the loaded page
   */
  public ChromiumPage open(String url) {
    String target =
        cdp.send(null, "Target.createTarget", obj("url", "about:blank")).path("targetId").asText();
    ObjectNode attach = obj("targetId", target);
    attach.put("flatten", true);
    String session = cdp.send(null, "Target.attachToTarget", attach).path("sessionId").asText();
    ChromiumPage page = new ChromiumPage(cdp, target, session, TIMEOUT);
    cdp.onEvent(page::onEvent);
    for (String domain : List.of("Runtime", "Log", "Page", "Network")) {
      cdp.send(session, domain + ".enable", null);
    }
    ObjectNode metrics = obj("width", 1280);
    metrics.put("height", 900);
    metrics.put("deviceScaleFactor", 1);
    metrics.put("mobile", false);
    cdp.send(session, "Emulation.setDeviceMetricsOverride", metrics);
    page.navigate(url);
    return page;
  }

  /**
   * Returns what Chromium wrote to stderr (for diagnosing a failed test).
   *
   * @return the lines so far
   */
  public List<String> log() {
    synchronized (stderr) {
      return List.copyOf(stderr);
    }
  }

  @Override
  public void close() {
    try {
      cdp.send(null, "Browser.close", null);
    } catch (RuntimeException e) {
      // Already gone; the process is stopped below either way.
    }
    cdp.close();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    deleteTree(profile);
  }

  static ObjectNode obj(String k, Object v) {
    ObjectNode o = Json.object();
    o.set(k, Json.MAPPER.valueToTree(v));
    return o;
  }

  private static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temporary profile is harmless.
    }
  }
}
