package io.octet.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.octet.error.QuantException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NativeMemoryPoolTest {
  @Test
  void aReservationThatDoesNotFitWaitsForOthersToRelease() throws Exception {
    NativeMemoryPool pool = new NativeMemoryPool();
    NativeMemoryPool.Reservation first = pool.reserve(60, 100, "m", "batch 1", "b");
    Thread waiter = new Thread(() -> pool.reserve(50, 100, "m", "batch 2", "b").close());
    waiter.start();
    // The waiter cannot get its 50 while 60 of 100 are held.
    while (waiter.getState() != Thread.State.WAITING) {
      assertThat(waiter.isAlive()).isTrue();
      Thread.onSpinWait();
    }
    assertThat(pool.inUse()).isEqualTo(60);
    first.close();
    waiter.join(TimeUnit.MINUTES.toMillis(1));
    assertThat(waiter.isAlive()).isFalse();
    assertThat(pool.inUse()).isZero();
    assertThat(pool.peak()).isEqualTo(60);
  }

  @Test
  void reservationsThatFitTogetherRunTogether() {
    NativeMemoryPool pool = new NativeMemoryPool();
    try (var a = pool.reserve(40, 100, "m", "a", "b");
        var b = pool.reserve(60, 100, "m", "b", "b")) {
      assertThat(pool.inUse()).isEqualTo(100);
      assertThat(a.bytes() + b.bytes()).isEqualTo(100);
    }
    assertThat(pool.peak()).isEqualTo(100);
    assertThat(pool.inUse()).isZero();
  }

  @Test
  void aBatchLargerThanTheWholeCapacityFailsAtOnce() {
    NativeMemoryPool pool = new NativeMemoryPool();
    assertThatThrownBy(() -> pool.reserve(101, 100, "bge", "32 rows", "1 GiB budget"))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("Model 'bge': 32 rows: about")
        .hasMessageContaining("1 GiB budget");
    assertThat(pool.inUse()).isZero();
  }

  @Test
  void closingTwiceReleasesOnce() {
    NativeMemoryPool pool = new NativeMemoryPool();
    var keep = pool.reserve(30, 100, "m", "a", "b");
    var r = pool.reserve(20, 100, "m", "b", "b");
    r.close();
    r.close();
    assertThat(pool.inUse()).isEqualTo(30);
    keep.close();
  }

  @Test
  void anInterruptedWaitEndsTheWaitNotTheOthers() throws Exception {
    NativeMemoryPool pool = new NativeMemoryPool();
    var held = pool.reserve(90, 100, "m", "a", "b");
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread waiter =
        new Thread(
            () -> {
              try {
                pool.reserve(50, 100, "m", "b", "b");
                failure.complete(null);
              } catch (RuntimeException e) {
                failure.complete(e);
              }
            });
    waiter.start();
    while (waiter.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    waiter.interrupt();
    assertThat(failure.get(1, TimeUnit.MINUTES))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("interrupted");
    assertThat(pool.inUse()).isEqualTo(90);
    held.close();
  }
}
