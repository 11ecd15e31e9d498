package io.octet.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Starts, watches and kills the server processes of the harness.
 *
 * <p>Every process started here is killed, with its descendants, by a JVM shutdown hook if the test
 * forgot or crashed, so a failed run never leaves a Spark worker or S3 server behind.
 */
public final class ItProcesses {
  /** The address every server of the harness binds to. */
  public static final String LOOPBACK = "127.0.0.1";

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> List.copyOf(LIVE).forEach(ItProcesses::kill), "it-process-reaper"));
  }

  private ItProcesses() {}

  /** Returns a TCP port that was free on loopback a moment ago. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot find a free port on " + LOOPBACK, e);
    }
  }

  /**
   * Starts {@code command} with stdout and stderr appended to {@code logFile}.
   *
   * @param env variables added to (or, with a {@code null} value, removed from) this JVM's
   *     environment
   */
  public static Process start(
      List<String> command, Map<String, String> env, Path workDir, Path logFile) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    env.forEach(
        (key, value) -> {
          if (value == null) {
            builder.environment().remove(key);
          } else {
            builder.environment().put(key, value);
          }
        });
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    try {
      Files.writeString(
          logFile,
          "### " + String.join(" ", command) + System.lineSeparator(),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      Process process = builder.start();
      LIVE.add(process);
      process.onExit().thenRun(() -> LIVE.remove(process));
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + command.get(0), e);
    }
  }

  /** Kills a process and all its descendants with SIGKILL and waits until they are gone. */
  public static void kill(Process process) {
    kill(process.toHandle());
  }

  /** Kills a process and all its descendants with SIGKILL and waits until they are gone. */
  public static void kill(ProcessHandle process) {
    List<ProcessHandle> all = new ArrayList<>();
    process.descendants().forEach(all::add);
    all.add(process);
    all.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle handle : all) {
      try {
        handle.onExit().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("Process " + handle.pid() + " survived SIGKILL", e);
      }
    }
  }

  /**
   * Waits until {@code url} answers HTTP (any status: S3Proxy answers 403 to anonymous requests).
   *
   * @throws IllegalStateException if {@code process} exits or the timeout passes, with the end of
   *     its log
   */
  public static void awaitHttp(URI url, Duration timeout, Process process, Path logFile) {
    awaitCondition(
        () -> {
          try {
            HttpURLConnection connection = (HttpURLConnection) url.toURL().openConnection();
            connection.setConnectTimeout(1000);
            connection.setReadTimeout(2000);
            try {
              return connection.getResponseCode() > 0;
            } finally {
              connection.disconnect();
            }
          } catch (IOException e) {
            return false;
          }
        },
        timeout,
        process,
        logFile,
        url + " to answer");
  }

  /** Polls {@code condition} every 200 ms; fails early when {@code process} dies. */
  public static void awaitCondition(
      BooleanSupplier condition, Duration timeout, Process process, Path logFile, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return;
      }
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException(
            "Process exited with code "
                + process.exitValue()
                + " while waiting for "
                + what
                + "; end of "
                + logFile
                + ":\n"
                + tail(logFile, 40));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Timed out after "
                + timeout.toSeconds()
                + " s waiting for "
                + what
                + "; end of "
                + logFile
                + ":\n"
                + tail(logFile, 40));
      }
      sleep(200);
    }
  }

  /** Returns the last {@code lines} lines of a log file, or a note when it is unreadable. */
  public static String tail(Path logFile, int lines) {
    if (logFile == null || !Files.isRegularFile(logFile)) {
      return "(no log at " + logFile + ")";
    }
    try {
      // Bytes, not readAllLines: a log cut mid-character must not hide the rest.
      String[] all = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).split("\n");
      return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted", e);
    }
  }
}
