package io.octet.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.util.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One tab of a {@link HeadlessChromium}: the problems it logged, the requests it made, JavaScript
 * evaluation and screenshots. Problems are collected from before navigation on, so nothing the page
 * does while loading is missed.
 */
public final class ChromiumPage implements AutoCloseable {
  private final CdpClient cdp;
  private final String targetId;
  private final String session;
  private final Duration timeout;
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
  private volatile CompletableFuture<Void> loaded = new CompletableFuture<>();

  ChromiumPage(CdpClient cdp, String targetId, String session, Duration timeout) {
    this.cdp = cdp;
    this.targetId = targetId;
    this.session = session;
    this.timeout = timeout;
  }

  void onEvent(CdpClient.Event e) {
    if (!session.equals(e.sessionId())) {
      return;
    }
    JsonNode p = e.params();
    switch (e.method()) {
      case "Page.loadEventFired" -> loaded.complete(null);
      case "Runtime.exceptionThrown" -> {
        JsonNode d = p.path("exceptionDetails");
        String text = d.path("exception").path("description").asText(d.path("text").asText());
        problems.add("uncaught exception: " + text);
      }
      case "Runtime.consoleAPICalled" -> {
        String type = p.path("type").asText();
        if (type.equals("error") || type.equals("assert")) {
          List<String> args = new ArrayList<>();
          for (JsonNode a : p.path("args")) {
            args.add(a.has("value") ? a.get("value").asText() : a.path("description").asText());
          }
          problems.add("console." + type + ": " + String.join(" ", args));
        }
      }
      case "Log.entryAdded" -> {
        JsonNode entry = p.path("entry");
        if (entry.path("level").asText().equals("error")) {
          problems.add(
              "log error ("
                  + entry.path("source").asText()
                  + "): "
                  + entry.path("text").asText()
                  + " "
                  + entry.path("url").asText(""));
        }
      }
      case "Network.requestWillBeSent" -> requests.add(p.path("request").path("url").asText());
      case "Network.loadingFailed" ->
          problems.add(
              "failed load: "
                  + p.path("errorText").asText()
                  + " "
                  + p.path("blockedReason").asText(""));
      default -> {
        // Other events are not interesting to tests.
      }
    }
  }

  void navigate(String url) {
    loaded = new CompletableFuture<>();
    JsonNode r = cdp.send(session, "Page.navigate", HeadlessChromium.obj("url", url));
    if (r.hasNonNull("errorText") && !r.get("errorText").asText().isEmpty()) {
      throw new IllegalStateException("Could not open " + url + ": " + r.get("errorText").asText());
    }
    try {
      loaded.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(url + " did not finish loading within " + timeout, e);
    }
    awaitDocument(url);
    // Two animation frames: layout and paint are done, and every event sent before is handled.
    eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))");
  }

  /**
   * Waits until this URL's document is complete: a late load event of about:blank must not count.
   */
  private void awaitDocument(String url) {
    String check;
    try {
      check =
          "location.href === "
              + Json.MAPPER.writeValueAsString(url)
              + " && document.readyState === 'complete'";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        if (eval(check).asBoolean()) {
          return;
        }
      } catch (IllegalStateException e) {
        // The old document's context went away mid-call: ask the new one.
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(url + " did not finish loading within " + timeout);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while loading " + url, e);
      }
    }
  }

  /**
   * Returns console errors, uncaught exceptions, error log entries (CSP violations, missing files)
   * and failed loads, in the order they happened.
   *
   * @return the problems; empty for a clean page
   */
  public List<String> problems() {
    synchronized (problems) {
      return List.copyOf(problems);
    }
  }

  /**
   * Returns every URL the page requested, the page itself included.
   *
   * @return the URLs in request order
   */
  public List<String> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /**
   * Evaluates a JavaScript expression (promises are awaited) and returns its value as JSON.
   *
   * @param expression the expression
   * @return the value
   * @throws IllegalStateException when the expression throws
   */
  public JsonNode eval(String expression) {
    ObjectNode p = HeadlessChromium.obj("expression", expression);
    p.put("returnByValue", true);
    p.put("awaitPromise", true);
    JsonNode r = cdp.send(session, "Runtime.evaluate", p);
    if (r.has("exceptionDetails")) {
      throw new IllegalStateException("JavaScript failed: " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /**
   * Saves a PNG of the whole page (up to {@code maxHeight} CSS pixels tall).
   *
   * @param out the file to write
   * @param maxHeight the tallest capture
   * @return the file
   */
  public Path screenshot(Path out, int maxHeight) {
    JsonNode size = cdp.send(session, "Page.getLayoutMetrics", null).path("cssContentSize");
    ObjectNode clip = HeadlessChromium.obj("x", 0);
    clip.put("y", 0);
    clip.put("width", Math.ceil(size.path("width").asDouble(1280)));
    clip.put("height", Math.min(maxHeight, Math.ceil(size.path("height").asDouble(900))));
    clip.put("scale", 1);
    ObjectNode p = HeadlessChromium.obj("format", "png");
    p.put("captureBeyondViewport", true);
    p.set("clip", clip);
    String data = cdp.send(session, "Page.captureScreenshot", p).path("data").asText();
    try {
      Files.createDirectories(out.toAbsolutePath().getParent());
      return Files.write(out, Base64.getDecoder().decode(data));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      cdp.send(null, "Target.closeTarget", HeadlessChromium.obj("targetId", targetId));
    } catch (RuntimeException e) {
      // The browser may already be closing.
    }
  }
}
