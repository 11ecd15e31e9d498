package io.octet.jobs.spark;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession;
import io.octet.storage.LocalObjectStore;
import io.octet.testing.DigitsData;
import io.octet.util.Hashing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The executor's session cache: shared while used, least recently used idle ones closed. */
class ExecutorModelsTest {
  private static final Path MODEL =
      DigitsData.repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");

  // Thread counts make distinct cache keys for one small model; counts above ten avoid the keys
  // other tests in this JVM use (they run with one to a few threads).
  private static ExecutorModels.Lease lease(int threads) throws Exception {
    String sha = Hashing.sha256(Files.readAllBytes(MODEL));
    return ExecutorModels.lease(
        new LocalObjectStore(), MODEL.toUri().toString(), sha, List.of(), 10 + threads);
  }

  @Test
  void aSessionIsSharedByConcurrentTasksAndKeptAfterThem() throws Exception {
    try (ExecutorModels.Lease a = lease(0);
        ExecutorModels.Lease b = lease(0)) {
      assertThat(a.session()).isSameAs(b.session());
    }
    OrtSession first;
    try (ExecutorModels.Lease a = lease(0)) {
      first = a.session();
    }
    try (ExecutorModels.Lease again = lease(0)) {
      assertThat(again.session()).as("reopened instead of reused").isSameAs(first);
    }
  }

  @Test
  void closingAModelsIdleSessionsSparesTheOnesTasksHold() throws Exception {
    String sha = Hashing.sha256(Files.readAllBytes(MODEL));
    OrtSession idle;
    try (ExecutorModels.Lease l = lease(21)) {
      idle = l.session();
    }
    try (ExecutorModels.Lease held = lease(20)) {
      assertThat(ExecutorModels.closeIdle(sha)).isGreaterThanOrEqualTo(1);
      try (ExecutorModels.Lease same = lease(20)) {
        assertThat(same.session()).as("a held session stays cached").isSameAs(held.session());
      }
      try (ExecutorModels.Lease again = lease(21)) {
        assertThat(again.session()).as("the idle one was closed").isNotSameAs(idle);
      }
    }
    assertThat(ExecutorModels.closeIdle("no-such-model")).isZero();
  }

  @Test
  void sessionsInUseAreNeverClosedAndIdleOnesBeyondTheCapAre() throws Exception {
    int cap = ExecutorModels.maxSessions();
    List<ExecutorModels.Lease> held = new ArrayList<>();
    try {
      for (int i = 1; i <= cap + 2; i++) {
        held.add(lease(i));
      }
      assertThat(ExecutorModels.openSessions()).isGreaterThanOrEqualTo(cap + 2);
      for (ExecutorModels.Lease l : held) {
        // Each session still runs: none was closed under its task.
        assertThat(l.session().getInputNames()).isNotEmpty();
      }
    } finally {
      held.forEach(ExecutorModels.Lease::close);
    }
    assertThat(ExecutorModels.openSessions()).isLessThanOrEqualTo(cap);
    // The most recently released session is the one kept.
    OrtSession last = held.get(held.size() - 1).session();
    try (ExecutorModels.Lease l = lease(cap + 2)) {
      assertThat(l.session()).isSameAs(last);
    }
  }
}
