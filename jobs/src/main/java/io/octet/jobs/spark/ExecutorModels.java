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
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime sessions shared by every task of an executor JVM.
 *
 * <p>Opening a large model costs seconds, so a session is keyed by the model's content hash and the
 * thread count and kept open after its tasks finish. {@code OrtSession.run} is thread-safe, so
 * concurrent tasks share one session. A task holds a {@link Lease} while it uses a session; when
 * more sessions are open than {@code spark.octet.executor-sessions} (Octet's {@code
 * run.executor-sessions}), the least recently used ones that no task holds are closed, so an
 * executor that works through a whole model zoo does not keep every model's weights in memory.
 * Models are downloaded once per JVM into the local temp directory, together with any external data
 * files next to them.
 */
public final class ExecutorModels {
  /** Spark setting the driver copies {@code run.executor-sessions} into. */
  public static final String MAX_SESSIONS_KEY = "spark.octet.executor-sessions";

  private static final Logger LOG = LoggerFactory.getLogger(ExecutorModels.class);
  private static final int FALLBACK_MAX_SESSIONS = 4;
  // Access order: a released session moves to the end, so idle ones are found oldest first.
  private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>(16, 0.75f, true);

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  synchronized (ExecutorModels.class) {
                    ENTRIES.values().forEach(Entry::closeQuietly);
                    ENTRIES.clear();
                  }
                },
                "octet-close-sessions"));
  }

  private ExecutorModels() {}

  /** A cached session, its users and when it was last released. */
  private static final class Entry {
    private final String key;
    private OrtSession session;
    private int users;

    private Entry(String key) {
      this.key = key;
    }

    private void closeQuietly() {
      OrtSession s;
      synchronized (this) {
        s = session;
        session = null;
      }
      if (s != null) {
        try {
          s.close();
        } catch (OrtException | RuntimeException e) {
          // Nothing a task could do about it; the memory goes back when the JVM exits.
          LOG.warn("Closing the ONNX Runtime session {} failed: {}", key, e.toString());
        }
      }
    }
  }

  /** A task's hold on a shared session; closing it releases the hold, not the session. */
  public static final class Lease implements AutoCloseable {
    private final Entry entry;
    private boolean released;

    private Lease(Entry entry) {
      this.entry = entry;
    }

    /**
     * Returns the session (valid until this lease is closed; never close it yourself).
     *
     * @return the session
     */
    public OrtSession session() {
      return entry.session;
    }

    @Override
    public void close() {
      if (!released) {
        released = true;
        release(entry);
      }
    }
  }

  /**
   * Takes a hold on the JVM's session for a model, opening it on first use.
   *
   * @param store storage to download from
   * @param uri the model's URI
   * @param sha256 the model file's content hash (cache key and integrity check)
   * @param dataFiles names of external data files that sit next to the model (may be empty)
   * @param threads intra-op threads
   * @return the lease; close it when the task is done with the session
   */
  public static Lease lease(
      ObjectStore store, String uri, String sha256, java.util.List<String> dataFiles, int threads) {
    return lease(store, uri, sha256, dataFiles, new OrtRuntime.SessionSettings(threads, true));
  }

  /**
   * Takes a hold on the JVM's session for a model opened with given settings (calibration sessions
   * are opened differently from inference sessions, see {@link
   * OrtRuntime.SessionSettings#calibration}).
   *
   * @param store storage to download from
   * @param uri the model's URI
   * @param sha256 the model file's content hash (cache key and integrity check)
   * @param dataFiles names of external data files that sit next to the model (may be empty)
   * @param settings how the session runs
   * @return the lease; close it when the task is done with the session
   */
  public static Lease lease(
      ObjectStore store,
      String uri,
      String sha256,
      java.util.List<String> dataFiles,
      OrtRuntime.SessionSettings settings) {
    int threads = settings.intraOpThreads();
    Entry e = acquire(sha256 + "#" + settings);
    try {
      // Opening happens outside the map's lock: other models' tasks need not wait for it.
      synchronized (e) {
        if (e.session == null) {
          Path local = fetch(store, uri, sha256, dataFiles);
          long t0 = System.nanoTime();
          e.session = OrtRuntime.open(local, settings);
          LOG.info(
              "Opened ONNX Runtime session for {} ({} threads) in {} ms",
              Uris.fileName(uri),
              threads,
              (System.nanoTime() - t0) / 1_000_000);
        }
      }
      return new Lease(e);
    } catch (RuntimeException ex) {
      release(e);
      throw ex;
    }
  }

  /**
   * Returns how many sessions are open in this JVM (tests and diagnostics).
   *
   * @return the count
   */
  public static synchronized int openSessions() {
    return (int) ENTRIES.values().stream().filter(x -> x.session != null).count();
  }

  private static synchronized Entry acquire(String key) {
    Entry e = ENTRIES.computeIfAbsent(key, Entry::new);
    e.users++;
    return e;
  }

  private static void release(Entry e) {
    java.util.List<Entry> evicted = new java.util.ArrayList<>();
    int max = maxSessions();
    synchronized (ExecutorModels.class) {
      e.users--;
      ENTRIES.get(e.key); // most recently used now
      var it = ENTRIES.values().iterator();
      while (ENTRIES.size() > max && it.hasNext()) {
        Entry x = it.next();
        if (x.users == 0) { // tasks never lose a session under them
          it.remove();
          evicted.add(x);
        }
      }
    }
    for (Entry x : evicted) {
      LOG.info("Closing the idle ONNX Runtime session {} (more than {} open)", x.key, max);
      x.closeQuietly();
    }
  }

  /**
   * Closes this JVM's sessions of a model that no task is using. For a model no later stage opens
   * again (the augmented calibration model): its session would otherwise hold its weights until
   * {@link #maxSessions} others push it out, beside the FP32 and INT8 sessions of validation.
   *
   * @param sha256 the model file's content hash
   * @return how many sessions were closed
   */
  public static int closeIdle(String sha256) {
    java.util.List<Entry> closed = new java.util.ArrayList<>();
    synchronized (ExecutorModels.class) {
      var it = ENTRIES.values().iterator();
      while (it.hasNext()) {
        Entry x = it.next();
        if (x.key.startsWith(sha256 + "#") && x.users == 0) {
          it.remove();
          closed.add(x);
        }
      }
    }
    closed.forEach(Entry::closeQuietly);
    return closed.size();
  }

  /**
   * Returns the cap in force in this JVM.
   *
   * @return the cap on open sessions
   */
  public static int maxSessions() {
    SparkEnv env = SparkEnv.get();
    int n =
        env == null
            ? FALLBACK_MAX_SESSIONS
            : env.conf().getInt(MAX_SESSIONS_KEY, FALLBACK_MAX_SESSIONS);
    return Math.max(1, n);
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
