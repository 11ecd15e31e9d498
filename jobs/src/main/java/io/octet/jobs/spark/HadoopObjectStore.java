package io.octet.jobs.spark;

import io.octet.error.QuantException;
import io.octet.storage.ObjectStore;
import io.octet.storage.Uris;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSError;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * {@link ObjectStore} over Hadoop's FileSystem API, so {@code file://} and {@code s3a://} work
 * alike and only configuration differs.
 *
 * <p>Serializable: it carries the Octet-level Hadoop settings (never logged) and rebuilds its
 * Configuration in each JVM.
 */
public final class HadoopObjectStore implements ObjectStore, Serializable {
  private static final long serialVersionUID = 1L;

  /** Hadoop's option for conditional create on S3A (HADOOP-19256); ignored where unsupported. */
  static final String CONDITIONAL_CREATE = "fs.option.create.conditional.overwrite";

  private final Map<String, String> settings;
  private transient Configuration conf;

  /**
   * Creates a store.
   *
   * @param base a Hadoop configuration to start from (copied), e.g. the SparkContext's
   * @param settings Octet's {@code hadoop} settings applied on top
   */
  public HadoopObjectStore(Configuration base, Map<String, String> settings) {
    // Executors rebuild the Configuration from these settings: keep every fs.* key the driver's
    // configuration sets differently from Hadoop's defaults (spark.hadoop.fs.s3a.* from
    // spark-submit --conf included), then Octet's own on top. They travel inside serialized
    // tasks only; nothing here is ever logged.
    Map<String, String> all = new java.util.TreeMap<>();
    Configuration defaults = new Configuration();
    for (Map.Entry<String, String> e : base) {
      if (e.getKey().startsWith("fs.") && !e.getValue().equals(defaults.get(e.getKey()))) {
        all.put(e.getKey(), e.getValue());
      }
    }
    all.putAll(settings);
    this.settings = Map.copyOf(all);
    this.conf = new Configuration(base);
    settings.forEach(conf::set);
  }

  /**
   * Builds the Hadoop configuration Spark would: {@code spark.hadoop.*} settings from the SparkConf
   * (spark-submit {@code --conf} and properties files), for reads before any SparkSession exists
   * (the registry itself).
   *
   * @param extra Octet's {@code hadoop} settings, applied on top
   * @return the configuration
   */
  public static Configuration fromSparkConf(Map<String, String> extra) {
    Configuration c = new Configuration();
    for (scala.Tuple2<String, String> kv : new org.apache.spark.SparkConf().getAll()) {
      if (kv._1().startsWith("spark.hadoop.")) {
        c.set(kv._1().substring("spark.hadoop.".length()), kv._2());
      }
    }
    extra.forEach(c::set);
    return c;
  }

  @Override
  public String toString() {
    return "HadoopObjectStore(" + settings.size() + " settings)";
  }

  private Configuration conf() {
    if (conf == null) {
      conf = new Configuration();
      settings.forEach(conf::set);
    }
    return conf;
  }

  private FileSystem fs(String uri) throws IOException {
    return FileSystem.get(URI.create(uri), conf());
  }

  private static org.apache.hadoop.fs.Path p(String uri) {
    return new org.apache.hadoop.fs.Path(uri);
  }

  /**
   * Turns a plain path into a file: URI; leaves URIs alone.
   *
   * @param uriOrPath a path or URI
   * @return a URI Hadoop resolves unambiguously
   */
  public static String qualify(String uriOrPath) {
    return Uris.normalize(uriOrPath);
  }

  @Override
  public boolean exists(String uri) {
    try {
      FileSystem fs = fs(uri);
      return fs.exists(p(uri)) && fs.getFileStatus(p(uri)).isFile();
    } catch (IOException e) {
      throw failure(uri, "checking", e);
    }
  }

  @Override
  public byte[] readBytes(String uri) {
    try (InputStream in = fs(uri).open(p(uri))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw failure(uri, "reading", e);
    }
  }

  @Override
  public InputStream open(String uri) {
    try {
      return fs(uri).open(p(uri));
    } catch (IOException e) {
      throw failure(uri, "opening", e);
    }
  }

  @Override
  public void writeBytes(String uri, byte[] data) {
    try (FSDataOutputStream out = fs(uri).create(p(uri), true)) {
      out.write(data);
    } catch (IOException e) {
      throw failure(uri, "writing", e);
    } catch (FSError e) {
      throw failure(uri, "writing", e);
    }
  }

  @Override
  public boolean createIfAbsent(String uri, byte[] data) {
    try {
      FileSystem fs = fs(uri);
      if (fs.exists(p(uri))) {
        return false;
      }
      var builder = fs.createFile(p(uri)).overwrite(false).recursive();
      if ("s3a".equals(fs.getScheme())) {
        // S3A sends If-None-Match: * (HADOOP-19256); `must` makes a connector that does not know
        // the option fail instead of silently overwriting. Other schemes would refuse the
        // mandatory key: they rely on overwrite(false).
        builder.must(CONDITIONAL_CREATE, true);
      }
      // The upload happens at close(): a writer that lost the race learns it there (412).
      try (FSDataOutputStream out = builder.build()) {
        out.write(data);
      }
      return true;
    } catch (IOException e) {
      if (lostCreateRace(e)) {
        return false; // another writer created it between the check and our write
      }
      throw failure(uri, "creating", e);
    } catch (FSError e) {
      throw failure(uri, "creating", e);
    }
  }

  /**
   * Hadoop's local file system reports a failed write (a full disk, an IO error) as {@link
   * FSError}, an {@link Error} that no {@code catch (Exception)} sees: it becomes the same
   * user-facing storage error as an IOException, naming the file.
   */
  QuantException failure(String uri, String action, FSError e) {
    IOException io =
        e.getCause() instanceof IOException c ? c : new IOException(String.valueOf(e.getMessage()));
    QuantException q = failure(uri, action, io);
    q.addSuppressed(e);
    return q;
  }

  /**
   * Whether a create failed because the object appeared meanwhile: HTTP 412 from a conditional
   * write (S3A's RemoteFileChangedException, matched by name so that classes of hadoop-aws are
   * never needed off S3) or FileAlreadyExistsException.
   */
  static boolean lostCreateRace(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (t instanceof FileAlreadyExistsException
          || t.getClass().getName().endsWith(".RemoteFileChangedException")
          || m.contains("Status Code: 412")
          || m.contains("PreconditionFailed")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Turns an IO failure into a user-facing error that says what is wrong in words: the object or
   * the whole bucket does not exist, access was denied, no credentials were found. Never includes
   * settings (credentials live there); connector messages do not carry secrets either.
   */
  QuantException failure(String uri, String action, IOException e) {
    String what = "Storage error while " + action + " '" + Uris.redact(uri) + "': ";
    String bucket = bucketOf(uri);
    if (bucket != null && isUnknownBucket(e)) {
      return new QuantException(
          QuantException.Kind.STORAGE,
          what + "bucket '" + bucket + "' does not exist. Check the bucket name in the URI.",
          e);
    }
    if (e instanceof FileNotFoundException) {
      if (bucket != null && !bucketExists(uri)) {
        return new QuantException(
            QuantException.Kind.STORAGE,
            what + "bucket '" + bucket + "' does not exist. Check the bucket name in the URI.",
            e);
      }
      if (isDirectory(uri)) {
        return new QuantException(
            QuantException.Kind.STORAGE,
            what + "it is a directory, not a file. Point the URI at the file itself.",
            e);
      }
      return new QuantException(QuantException.Kind.STORAGE, what + "it does not exist.", e);
    }
    if (e instanceof java.nio.file.AccessDeniedException
        || e.getMessage() != null && e.getMessage().contains("Status Code: 403")) {
      return new QuantException(
          QuantException.Kind.STORAGE,
          what
              + "access denied (HTTP 403)"
              + (bucket == null ? "" : " by bucket '" + bucket + "'")
              + ": the credentials in use may not do this. Check fs.s3a.access.key and"
              + " fs.s3a.secret.key (or fs.s3a.bucket."
              + (bucket == null ? "<bucket>" : bucket)
              + ".* for this bucket), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or"
              + " fs.s3a.aws.credentials.provider.",
          e);
    }
    if (e.getClass().getName().endsWith(".NoAuthWithAWSException")) {
      return new QuantException(
          QuantException.Kind.STORAGE,
          what
              + "no credentials found ("
              + firstLine(e.getMessage())
              + "). Set fs.s3a.aws.credentials.provider, or export AWS_ACCESS_KEY_ID and"
              + " AWS_SECRET_ACCESS_KEY where the driver and executors run.",
          e);
    }
    return new QuantException(
        QuantException.Kind.STORAGE,
        what + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()),
        e);
  }

  /** The bucket (authority) of an object-store URI, or null for file: and the like. */
  private static String bucketOf(String uri) {
    try {
      URI u = URI.create(uri);
      String scheme = u.getScheme();
      if (scheme == null || scheme.equals("file") || u.getAuthority() == null) {
        return null;
      }
      return u.getHost() != null ? u.getHost() : u.getAuthority();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Whether the bucket of a URI exists: a HEAD on a missing key cannot tell a missing key from a
   * missing bucket, so list the bucket's root, which a store answers with NoSuchBucket.
   */
  private boolean bucketExists(String uri) {
    URI u = URI.create(uri);
    try {
      FileSystem fs = fs(uri);
      fs.listStatus(new org.apache.hadoop.fs.Path(u.getScheme() + "://" + u.getAuthority() + "/"));
      return true;
    } catch (IOException e) {
      return !(e instanceof FileNotFoundException || isUnknownBucket(e));
    } catch (RuntimeException e) {
      return true; // cannot tell: keep the plain "does not exist"
    }
  }

  /**
   * Whether a URI names a directory (a prefix on object stores); false when that cannot be told.
   */
  private boolean isDirectory(String uri) {
    try {
      return fs(uri).getFileStatus(p(uri)).isDirectory();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** S3A reports a missing bucket as UnknownStoreException (matched by name: S3A is optional). */
  private static boolean isUnknownBucket(IOException e) {
    return e.getClass().getName().endsWith(".UnknownStoreException");
  }

  private static String firstLine(String m) {
    String s = String.valueOf(m);
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public void upload(Path local, String uri) {
    try {
      fs(uri).copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), p(uri));
    } catch (IOException e) {
      throw failure(uri, "uploading", e);
    } catch (FSError e) {
      throw failure(uri, "uploading", e);
    }
  }

  @Override
  public void download(String uri, Path local) {
    try {
      Files.createDirectories(local.toAbsolutePath().getParent());
      Path tmp = local.resolveSibling("." + local.getFileName() + ".part-" + System.nanoTime());
      try (InputStream in = fs(uri).open(p(uri));
          OutputStream out = Files.newOutputStream(tmp)) {
        in.transferTo(out);
      }
      Files.move(tmp, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw failure(uri, "downloading", e);
    } catch (FSError e) {
      throw failure(uri, "downloading", e);
    }
  }

  @Override
  public List<String> list(String prefix) {
    try {
      FileSystem fs = fs(prefix);
      if (!fs.exists(p(prefix))) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(p(prefix), true);
      while (it.hasNext()) {
        LocatedFileStatus s = it.next();
        String name = s.getPath().getName();
        if (!name.startsWith(".") && !name.startsWith("_")) {
          out.add(s.getPath().toString());
        }
      }
      Collections.sort(out);
      return out;
    } catch (IOException e) {
      throw failure(prefix, "listing", e);
    }
  }

  /**
   * A file and when it last changed.
   *
   * @param uri the file
   * @param modified milliseconds since the epoch
   */
  public record Entry(String uri, long modified) {}

  /**
   * Lists every file under a prefix (recursively), markers whose names start with '_' or '.'
   * included, with modification times: what {@code bin/octet gc} needs to age leftovers.
   *
   * @param prefix a directory-like URI
   * @return the files, sorted by URI; empty when the prefix does not exist
   */
  public List<Entry> listAll(String prefix) {
    try {
      FileSystem fs = fs(prefix);
      if (!fs.exists(p(prefix))) {
        return List.of();
      }
      List<Entry> out = new ArrayList<>();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(p(prefix), true);
      while (it.hasNext()) {
        LocatedFileStatus s = it.next();
        out.add(new Entry(s.getPath().toString(), s.getModificationTime()));
      }
      out.sort(java.util.Comparator.comparing(Entry::uri));
      return out;
    } catch (IOException e) {
      throw failure(prefix, "listing", e);
    }
  }

  @Override
  public long size(String uri) {
    try {
      FileStatus s = fs(uri).getFileStatus(p(uri));
      return s.getLen();
    } catch (IOException e) {
      throw failure(uri, "reading the size of", e);
    }
  }

  @Override
  public void delete(String uri) {
    try {
      fs(uri).delete(p(uri), true);
    } catch (IOException e) {
      throw failure(uri, "deleting", e);
    }
  }

  /**
   * Returns the modification time of a file, for listing fingerprints.
   *
   * @param uri the file
   * @return milliseconds since the epoch
   */
  public long modificationTime(String uri) {
    try {
      return fs(uri).getFileStatus(p(uri)).getModificationTime();
    } catch (IOException e) {
      throw failure(uri, "reading the status of", e);
    }
  }
}
