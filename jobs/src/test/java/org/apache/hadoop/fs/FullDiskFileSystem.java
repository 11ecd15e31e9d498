package org.apache.hadoop.fs;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system under the scheme {@code fullfs://}, where writing to a path that contains
 * {@link #failingPart} fails the way Hadoop's local file system reports a full disk: {@link
 * FSError} (an Error, whose constructor is package-private, hence this package) wrapping "No space
 * left on device". Register with {@code fs.fullfs.impl}.
 */
public class FullDiskFileSystem extends RawLocalFileSystem {
  /** Writes to paths containing this fail; null = none fail. */
  public static volatile String failingPart;

  /** Bytes of each failing file that land before the disk is full. */
  public static volatile long LIMIT = 1024;

  private static final URI NAME = URI.create("fullfs:///");

  @Override
  public void initialize(URI uri, Configuration conf) throws IOException {
    super.initialize(uri, conf);
  }

  @Override
  public URI getUri() {
    return NAME;
  }

  @Override
  public String getScheme() {
    return "fullfs";
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    FSDataOutputStream out =
        super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    return failing(f) ? full(out) : out;
  }

  @Override
  public FSDataOutputStream create(
      Path f, boolean overwrite, int bufferSize, short replication, long blockSize, Progressable p)
      throws IOException {
    FSDataOutputStream out = super.create(f, overwrite, bufferSize, replication, blockSize, p);
    return failing(f) ? full(out) : out;
  }

  private static boolean failing(Path f) {
    String part = failingPart;
    return part != null && f.toUri().getPath().contains(part);
  }

  private static FSDataOutputStream full(FSDataOutputStream real) throws IOException {
    return new FSDataOutputStream(
        new OutputStream() {
          private long written;

          @Override
          public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            // A kilobyte lands, then the disk is full: a half-written file stays behind.
            if (written + len > LIMIT) {
              throw new FSError(new IOException("No space left on device"));
            }
            try {
              real.write(b, off, len);
            } catch (IOException e) {
              throw new FSError(e);
            }
            written += len;
          }

          @Override
          public void close() throws IOException {
            real.close();
          }
        },
        null);
  }
}
