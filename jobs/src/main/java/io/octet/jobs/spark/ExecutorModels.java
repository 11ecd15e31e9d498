package io.octet.jobs.spark;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.runtime.OrtRuntime;
import io.octet.storage.ObjectStore;
import io.octet.storage.Uris;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session per model per JVM, shared by every task of the executor.
 *
 * <p>Opening a large model costs seconds, so a session is keyed by the model's content hash and the
 * thread count and kept until the JVM exits (a shutdown hook closes them). {@code OrtSession.run}
 * is thread-safe, so concurrent tasks share one session. Models are downloaded once per JVM into
 * the local temp directory, together with any external data files next to them.
 */
public final class ExecutorModels {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
  private static final Map<String, OrtSession> SESSIONS = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (OrtSession s : SESSIONS.values()) {
                    try {
                      s.close();
                    } catch (OrtException | RuntimeException e) {
                      // The JVM is going away; nothing useful to do with a close failure.
                    }
                  }
                },
                "octet-close-sessions"));
  }

  private ExecutorModels() {}

  /**
   * Returns the JVM's session for a model, opening it on first use.
   *
   * @param store storage to download from
   * @param uri the model's URI
   * @param sha256 the model file's content hash (cache key and integrity check)
   * @param dataFiles names of external data files that sit next to the model (may be empty)
   * @param threads intra-op threads
   * @return the shared session (never close it)
   */
  public static OrtSession session(
      ObjectStore store, String uri, String sha256, java.util.List<String> dataFiles, int threads) {
    String key = sha256 + "#" + threads;
    return SESSIONS.computeIfAbsent(
        key,
        k -> {
          Path local = fetch(store, uri, sha256, dataFiles);
          long t0 = System.nanoTime();
          OrtSession s = OrtRuntime.open(local, new OrtRuntime.SessionSettings(threads, true));
          LOG.info(
              "Opened ONNX Runtime session for {} ({} threads) in {} ms",
              Uris.fileName(uri),
              threads,
              (System.nanoTime() - t0) / 1_000_000);
          return s;
        });
  }

  /**
   * Downloads a model (and its data files) to a per-hash local directory, once per JVM.
   *
   * @param store storage
   * @param uri the model URI
   * @param sha256 its hash
   * @param dataFiles external data file names next to it
   * @return the local model file
   */
  public static synchronized Path fetch(
      ObjectStore store, String uri, String sha256, java.util.List<String> dataFiles) {
    try {
      Path dir = Path.of(System.getProperty("java.io.tmpdir"), "octet-models", sha256);
      Path local = dir.resolve(Uris.fileName(uri));
      if (!Files.exists(local)) {
        Files.createDirectories(dir);
        for (String d : dataFiles) {
          store.download(Uris.join(Uris.parent(uri), d), dir.resolve(d));
        }
        store.download(uri, local);
      }
      return local;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
