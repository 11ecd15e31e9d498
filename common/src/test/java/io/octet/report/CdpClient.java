package io.octet.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.util.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A minimal Chrome DevTools Protocol client over the JDK's WebSocket: commands with ids and
 * replies, and events delivered in the order the browser sent them. Sessions use the flat mode
 * ({@code Target.attachToTarget} with {@code flatten}), so one socket serves every page.
 */
final class CdpClient implements AutoCloseable {
  /**
   * One protocol event.
   *
   * @param sessionId the page session it belongs to ("" for the browser)
   * @param method e.g. "Runtime.exceptionThrown"
   * @param params its parameters
   */
  record Event(String sessionId, String method, JsonNode params) {}

  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
  private final Duration timeout;

  private CdpClient(WebSocket socket, Duration timeout) {
    this.socket = socket;
    this.timeout = timeout;
  }

  /** Connects to a browser's DevTools endpoint (ws://127.0.0.1:port/devtools/browser/...). */
  static CdpClient connect(URI endpoint, Duration timeout) throws Exception {
    Receiver r = new Receiver();
    WebSocket ws =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .connectTimeout(timeout)
            .buildAsync(endpoint, r)
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    CdpClient c = new CdpClient(ws, timeout);
    r.client = c;
    return c;
  }

  /** Adds a listener for every event (called on the socket's thread, in arrival order). */
  void onEvent(Consumer<Event> l) {
    listeners.add(l);
  }

  /**
   * Sends a command and waits for its result.
   *
   * @param sessionId the page session, or null for the browser
   * @param method e.g. "Page.navigate"
   * @param params parameters (may be null)
   * @return the result object
   * @throws IllegalStateException when the browser answers with an error or does not answer
   */
  JsonNode send(String sessionId, String method, ObjectNode params) {
    int id = ids.incrementAndGet();
    ObjectNode msg = Json.object();
    msg.put("id", id);
    msg.put("method", method);
    msg.set("params", params == null ? Json.object() : params);
    if (sessionId != null) {
      msg.put("sessionId", sessionId);
    }
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    pending.put(id, reply);
    try {
      synchronized (socket) {
        socket.sendText(msg.toString(), true).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
      JsonNode r = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (r.has("error")) {
        throw new IllegalStateException(method + " failed: " + r.get("error"));
      }
      return r.path("result");
    } catch (TimeoutException e) {
      throw new IllegalStateException(method + " got no answer within " + timeout, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(method + " failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(method + " interrupted", e);
    } finally {
      pending.remove(id);
    }
  }

  private void dispatch(String text) {
    JsonNode m = Json.parse(text.getBytes(StandardCharsets.UTF_8), "DevTools message");
    if (m.has("id")) {
      CompletableFuture<JsonNode> f = pending.get(m.get("id").asInt());
      if (f != null) {
        f.complete(m);
      }
      return;
    }
    Event e =
        new Event(m.path("sessionId").asText(""), m.path("method").asText(), m.path("params"));
    for (Consumer<Event> l : listeners) {
      l.accept(e);
    }
  }

  @Override
  public void close() {
    socket.abort();
  }

  /** Reassembles fragmented text messages; screenshots arrive as many frames. */
  private static final class Receiver implements WebSocket.Listener {
    private final StringBuilder buf = new StringBuilder();
    private volatile CdpClient client;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      buf.append(data);
      if (last) {
        String text = buf.toString();
        buf.setLength(0);
        while (client == null) {
          Thread.onSpinWait();
        }
        client.dispatch(text);
      }
      ws.request(1);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      CdpClient c = client;
      if (c != null) {
        c.pending.values().forEach(f -> f.completeExceptionally(error));
      }
    }
  }
}
