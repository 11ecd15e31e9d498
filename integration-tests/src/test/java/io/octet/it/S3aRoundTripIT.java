package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.s3a.RemoteFileChangedException;
import org.apache.hadoop.fs.statistics.IOStatisticsSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Hadoop S3A against a real S3Proxy process: the dependency set and settings of {@link S3aConf}.
 */
class S3aRoundTripIT {
  private static final String BUCKET = "octet-it";
  // HADOOP-19256 (in 3.4.2): If-None-Match: * and If-Match: <etag> on the final PUT or on
  // CompleteMultipartUpload. S3Proxy's filesystem store honours both.
  private static final String CONDITIONAL_OVERWRITE = "fs.option.create.conditional.overwrite";
  private static final String CONDITIONAL_OVERWRITE_ETAG =
      "fs.option.create.conditional.overwrite.etag";

  private static S3Server server;
  private FileSystem fs;

  @BeforeAll
  static void startServer() {
    server = S3Server.create().start();
    server.createBucket(BUCKET);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void openFileSystem() throws IOException {
    fs = newFileSystem(S3aConf.configuration(server));
  }

  @AfterEach
  void closeFileSystem() throws IOException {
    fs.close();
  }

  @Test
  void writeListReadOverwriteDelete() throws IOException {
    Path dir = new Path("s3a://" + BUCKET + "/roundtrip");
    Path file = new Path(dir, "hello.txt");

    write(file, "first", true);
    FileStatus[] listing = fs.listStatus(dir);
    assertThat(listing).as("listing of %s", dir).hasSize(1);
    assertThat(listing[0].getPath().getName()).isEqualTo("hello.txt");
    assertThat(listing[0].getLen()).isEqualTo(5);
    assertThat(read(file)).isEqualTo("first");

    write(file, "second, longer", true);
    assertThat(read(file)).as("content after overwrite").isEqualTo("second, longer");

    assertThat(fs.delete(file, false)).isTrue();
    assertThat(fs.exists(file)).as("exists after delete").isFalse();
    assertThat(server.dataDir().resolve(BUCKET).resolve("roundtrip/hello.txt"))
        .as("the object is gone from the server's store too")
        .doesNotExist();
  }

  @Test
  void renameCopiesThroughTheTransferManager() throws IOException {
    // Rename is a server-side copy plus delete; Hadoop's FileOutputCommitter (Spark's default
    // Parquet commit) depends on it, and S3A runs the copy on its async client.
    Path staging = new Path("s3a://" + BUCKET + "/rename/_temporary/attempt");
    write(new Path(staging, "part-0"), "zero", true);
    write(new Path(staging, "part-1"), "one", true);
    Path committed = new Path("s3a://" + BUCKET + "/rename/committed");

    assertThat(fs.rename(staging, committed)).as("directory rename").isTrue();

    assertThat(fs.exists(staging)).isFalse();
    assertThat(read(new Path(committed, "part-0"))).isEqualTo("zero");
    assertThat(read(new Path(committed, "part-1"))).isEqualTo("one");
  }

  @Test
  void createWithoutOverwriteFailsOnAnExistingKeyButIsNotAtomic() throws IOException {
    Path file = new Path("s3a://" + BUCKET + "/no-overwrite/part.txt");
    write(file, "original", true);

    assertThatThrownBy(() -> write(file, "clobbered", false))
        .as("create(path, overwrite=false) on an existing key")
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(read(file)).isEqualTo("original");

    // The check is a HEAD probe at create(): two writers that both open before either closes
    // both succeed, and the last close wins. Publishing must not rely on it.
    Path raced = new Path("s3a://" + BUCKET + "/no-overwrite/raced.txt");
    FSDataOutputStream first = fs.create(raced, false);
    FSDataOutputStream second = fs.create(raced, false);
    first.write('1');
    first.close();
    second.write('2');
    second.close();
    assertThat(read(raced)).isEqualTo("2");
  }

  @Test
  void conditionalCreateLetsOnlyTheFirstOfTwoRacingWritersWin() throws IOException {
    Path file = new Path("s3a://" + BUCKET + "/conditional/manifest.json");
    // Both streams open before either closes; only the server-side If-None-Match on the PUT can
    // stop the second.
    FSDataOutputStream first = conditionalCreate(file);
    FSDataOutputStream second = conditionalCreate(file);
    first.write("first".getBytes(StandardCharsets.UTF_8));
    first.close();
    second.write("second".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(second::close)
        .as("closing the second conditional writer")
        .isInstanceOf(RemoteFileChangedException.class)
        .hasMessageContaining("412");
    assertThat(read(file)).isEqualTo("first");

    // On a key that already exists, build() succeeds (no probe) and close() gets the 412.
    FSDataOutputStream late = conditionalCreate(file);
    late.write('x');
    assertThatThrownBy(late::close).isInstanceOf(RemoteFileChangedException.class);
    assertThat(read(file)).isEqualTo("first");
  }

  @Test
  void conditionalCreateAlsoGuardsMultipartUploads() throws IOException {
    Configuration conf = S3aConf.configuration(server);
    conf.set("fs.s3a.multipart.size", "5M");
    byte[] data = new byte[6 * 1024 * 1024];
    Path file = new Path("s3a://" + BUCKET + "/conditional/big.bin");
    try (FileSystem multipart = newFileSystem(conf)) {
      FSDataOutputStream first = conditionalCreate(multipart, file);
      FSDataOutputStream second = conditionalCreate(multipart, file);
      first.write(data);
      first.close();
      second.write(data);
      assertThatThrownBy(second::close)
          .as("completing the second multipart upload")
          .isInstanceOf(RemoteFileChangedException.class)
          .hasMessageContaining("412");
    }
  }

  @Test
  void etagConditionalOverwriteRejectsAStaleEtag() throws IOException {
    Path pointer = new Path("s3a://" + BUCKET + "/conditional/latest");
    write(pointer, "run-1", true);
    String etag = ((EtagSource) fs.getFileStatus(pointer)).getEtag();
    assertThat(etag).as("S3Proxy returns ETags").isNotBlank();

    overwriteIfEtag(pointer, etag, "run-2");
    assertThat(read(pointer)).isEqualTo("run-2");

    assertThatThrownBy(() -> overwriteIfEtag(pointer, etag, "run-3"))
        .as("overwrite with the ETag of a replaced version")
        .isInstanceOf(RemoteFileChangedException.class);
    assertThat(read(pointer)).isEqualTo("run-2");
  }

  @Test
  void multipartUploadRoundTrips() throws IOException {
    Configuration conf = S3aConf.configuration(server);
    conf.set("fs.s3a.multipart.size", "5M");
    conf.set("fs.s3a.multipart.threshold", "5M");
    byte[] data = new byte[12 * 1024 * 1024 + 17];
    new SplittableRandom(42).nextBytes(data);
    Path file = new Path("s3a://" + BUCKET + "/multipart/blob.bin");
    try (FileSystem multipart = newFileSystem(conf)) {
      try (FSDataOutputStream out = multipart.create(file, true)) {
        out.write(data);
      }
      assertThat(multipart.getFileStatus(file).getLen()).isEqualTo(data.length);
      byte[] back;
      try (InputStream in = multipart.open(file)) {
        back = in.readAllBytes();
      }
      assertThat(Arrays.equals(back, data)).as("12 MB read back equals what was written").isTrue();
      assertThat(counter(multipart, "multipart_upload_completed")).as("multipart uploads").isOne();

      // Above the threshold a rename is a multipart copy on S3A's async (Netty) client.
      Path renamed = new Path("s3a://" + BUCKET + "/multipart/renamed.bin");
      assertThat(multipart.rename(file, renamed)).isTrue();
      try (InputStream in = multipart.open(renamed)) {
        back = in.readAllBytes();
      }
      assertThat(Arrays.equals(back, data)).as("12 MB after a multipart copy").isTrue();
    }
  }

  @Test
  void crc32cChecksumsAreSentAndVerifiedByTheServer() throws IOException {
    Configuration conf = S3aConf.configuration(server);
    conf.set("fs.s3a.create.checksum.algorithm", "CRC32C");
    conf.set("fs.s3a.checksum.validation", "true");
    Path file = new Path("s3a://" + BUCKET + "/checksums/crc.txt");
    try (FileSystem checked = newFileSystem(conf)) {
      try (FSDataOutputStream out = checked.create(file, true)) {
        out.write("checked".getBytes(StandardCharsets.UTF_8));
      }
      try (InputStream in = checked.open(file)) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("checked");
      }
    }
    // The server checks what it is sent: a wrong CRC32C is rejected. (It does not return
    // checksums on GET/HEAD, so fs.s3a.checksum.validation has nothing to compare there.)
    assertThatThrownBy(
            () ->
                server
                    .client()
                    .putObject(
                        b -> b.bucket(BUCKET).key("checksums/bad.txt").checksumCRC32C("AAAAAA=="),
                        RequestBody.fromString("checked")))
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(400));
  }

  @Test
  void dataSurvivesAServerRestart() throws IOException {
    Path file = new Path("s3a://" + BUCKET + "/restart/kept.txt");
    write(file, "kept", true);
    server.restart();
    assertThat(read(file)).as("read through the pooled client after a restart").isEqualTo("kept");
    write(file, "written after restart", true);
    assertThat(read(file)).isEqualTo("written after restart");
  }

  private static long counter(FileSystem fs, String name) {
    Long value = IOStatisticsSupport.retrieveIOStatistics(fs).counters().get(name);
    return value == null ? 0 : value;
  }

  private FSDataOutputStream conditionalCreate(Path file) throws IOException {
    return conditionalCreate(fs, file);
  }

  private static FSDataOutputStream conditionalCreate(FileSystem fs, Path file) throws IOException {
    // createFile() returns a raw builder type, hence the cast.
    return (FSDataOutputStream)
        fs.createFile(file).overwrite(false).must(CONDITIONAL_OVERWRITE, true).build();
  }

  private void overwriteIfEtag(Path file, String etag, String text) throws IOException {
    try (FSDataOutputStream out =
        (FSDataOutputStream)
            fs.createFile(file).overwrite(true).must(CONDITIONAL_OVERWRITE_ETAG, etag).build()) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private void write(Path file, String text, boolean overwrite) throws IOException {
    try (FSDataOutputStream out = fs.create(file, overwrite)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private String read(Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static FileSystem newFileSystem(Configuration conf) throws IOException {
    // newInstance, not get: the FileSystem cache would hand every test the same closed instance.
    return FileSystem.newInstance(new Path("s3a://" + BUCKET + "/").toUri(), conf);
  }
}
