package io.octet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.octet.error.QuantException;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.publish.Publisher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Octet's storage and publish code ({@code HadoopObjectStore}, {@code Publisher}) in process
 * against the real S3 server through S3A: conditional create under a race, two writers of one
 * manifest, and the messages of S3-specific failures.
 */
class S3PublishIT {
  private static final String BUCKET = "octet-publish";
  private static final String WRONG_SECRET = "octet-it-wrong-secret-in-process";

  private static S3Server s3;

  @TempDir Path tmp;

  @BeforeAll
  static void startServer() {
    s3 = S3Server.create().start();
    s3.createBucket(BUCKET);
  }

  @AfterAll
  static void stopServer() {
    if (s3 != null) {
      s3.close();
    }
  }

  private static HadoopObjectStore store(Map<String, String> overrides) {
    Map<String, String> settings = new LinkedHashMap<>(S3aConf.hadoop(s3));
    settings.putAll(overrides);
    // A distinct FileSystem per store (FileSystem.get caches by scheme, authority and user).
    settings.put("fs.s3a.impl.disable.cache", "true");
    return new HadoopObjectStore(new Configuration(), settings);
  }

  private static String uri(String key) {
    return "s3a://" + BUCKET + "/" + key;
  }

  @Test
  void createIfAbsentCreatesOnceAndNeverOverwrites() {
    HadoopObjectStore store = store(Map.of());
    String key = uri("once/manifest.json");

    assertThat(store.createIfAbsent(key, bytes("first"))).isTrue();
    assertThat(store.createIfAbsent(key, bytes("second"))).isFalse();
    assertThat(new String(store.readBytes(key), StandardCharsets.UTF_8)).isEqualTo("first");
  }

  @Test
  void createIfAbsentRaceHasExactlyOneWinnerPerKey() throws Exception {
    int writers = 6;
    int keys = 8;
    List<HadoopObjectStore> stores = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      stores.add(store(Map.of()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      for (int k = 0; k < keys; k++) {
        String key = uri("race/" + k + "/manifest.json");
        CyclicBarrier start = new CyclicBarrier(writers);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          HadoopObjectStore store = stores.get(w);
          byte[] content = bytes("writer-" + w);
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    return store.createIfAbsent(key, content);
                  }));
        }
        List<Integer> winners = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          if (results.get(w).get()) {
            winners.add(w);
          }
        }
        assertThat(winners).as("writers that created %s", key).hasSize(1);
        assertThat(new String(stores.get(0).readBytes(key), StandardCharsets.UTF_8))
            .as("the stored object is the winner's")
            .isEqualTo("writer-" + winners.get(0));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoPublishersOfOneRunOneWinsTheOtherFailsClearly() throws Exception {
    Path model = Files.write(tmp.resolve("model.int8.onnx"), new byte[4096]);
    String warehouse = uri("two-writers");
    CyclicBarrier start = new CyclicBarrier(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<Publisher.Result>> results = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        Publisher publisher = new Publisher(store(Map.of()), warehouse);
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return publisher.publish(
                      "m",
                      "1",
                      "20261129T120000Z-abcdef",
                      List.of(new Publisher.Artifact("model.int8.onnx", model)),
                      JsonNodeFactory.instance.objectNode(),
                      "inputs",
                      true);
                }));
      }
      int ok = 0;
      List<String> errors = new ArrayList<>();
      for (Future<Publisher.Result> f : results) {
        try {
          f.get();
          ok++;
        } catch (java.util.concurrent.ExecutionException e) {
          errors.add(String.valueOf(e.getCause().getMessage()));
        }
      }
      assertThat(ok).as("publishers that wrote the manifest; errors %s", errors).isEqualTo(1);
      // The loser finds the prefix claimed (or already published) before it writes a byte.
      assertThat(errors).singleElement().asString().contains("was already used");
    } finally {
      pool.shutdownNow();
    }
    Publisher reader = new Publisher(store(Map.of()), warehouse);
    assertThat(reader.latest("m")).isPresent();
  }

  @Test
  void missingObjectMissingBucketAndAccessDeniedSayWhatIsWrong() {
    HadoopObjectStore store = store(Map.of());
    assertThatThrownBy(() -> store.readBytes(uri("no/such/key.onnx")))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(uri("no/such/key.onnx"))
        .hasMessageContaining("does not exist")
        .hasMessageNotContaining("bucket");

    assertThatThrownBy(() -> store.readBytes("s3a://octet-no-such-bucket/model.onnx"))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("s3a://octet-no-such-bucket/model.onnx")
        .hasMessageContaining("bucket 'octet-no-such-bucket' does not exist");

    HadoopObjectStore wrong = store(Map.of("fs.s3a.secret.key", WRONG_SECRET));
    assertThatThrownBy(() -> wrong.readBytes(uri("anything")))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(uri("anything"))
        .hasMessageContaining("access denied")
        .hasMessageContaining("credentials")
        .hasMessageNotContaining(WRONG_SECRET)
        .hasMessageNotContaining(s3.secretKey());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
