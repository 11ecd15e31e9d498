package io.octet.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchingTest {

  /** Rows like tokenized text: two inputs of one random length per row. */
  private static List<Sample> textRows(int n, int maxLen, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Sample> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int len = 1 + r.nextInt(maxLen);
      long[] ids = new long[len];
      long[] mask = new long[len];
      for (int k = 0; k < len; k++) {
        ids[k] = r.nextInt(30000);
        mask[k] = 1;
      }
      rows.add(
          new Sample(
              "row" + i,
              Map.of(
                  "input_ids", TensorValue.ofLongs(new long[] {len}, ids),
                  "attention_mask", TensorValue.ofLongs(new long[] {len}, mask)),
              -1));
    }
    return rows;
  }

  @Test
  void rowsOfDifferentShapesNeverShareABatchAndEveryRowAppearsOnce() {
    List<Sample> rows = textRows(500, 12, 61);

    List<List<Sample>> batches = Batching.byShape(rows, 16);

    List<String> seen = new ArrayList<>();
    for (List<Sample> b : batches) {
      assertThat(b).as("batch size").hasSizeBetween(1, 16);
      assertThat(b.stream().map(Batching::shapeKey).distinct().count())
          .as("shapes in one batch")
          .isEqualTo(1);
      b.forEach(s -> seen.add(s.id()));
    }
    assertThat(seen)
        .as("every row exactly once")
        .containsExactlyInAnyOrderElementsOf(rows.stream().map(Sample::id).toList());
    // Within one shape, rows keep their input order.
    Map<String, List<String>> expected = new LinkedHashMap<>();
    rows.forEach(
        s -> expected.computeIfAbsent(Batching.shapeKey(s), k -> new ArrayList<>()).add(s.id()));
    Map<String, List<String>> actual = new LinkedHashMap<>();
    batches.forEach(
        b ->
            b.forEach(
                s ->
                    actual
                        .computeIfAbsent(Batching.shapeKey(s), k -> new ArrayList<>())
                        .add(s.id())));
    assertThat(actual).as("order within a shape").isEqualTo(expected);
    assertThat(Batching.byShape(rows, 16)).as("deterministic").isEqualTo(batches);
  }

  @Test
  void shapeKeyDistinguishesEveryInputsShape() {
    Sample a =
        new Sample(
            "a",
            Map.of(
                "x", TensorValue.ofFloats(new long[] {2, 3}, new float[6]),
                "y", TensorValue.ofFloats(new long[] {3, 2}, new float[6])),
            -1);
    Sample b =
        new Sample(
            "b",
            Map.of(
                "x", TensorValue.ofFloats(new long[] {3, 2}, new float[6]),
                "y", TensorValue.ofFloats(new long[] {2, 3}, new float[6])),
            -1);
    Sample c =
        new Sample(
            "c",
            Map.of(
                "x", TensorValue.ofFloats(new long[] {6}, new float[6]),
                "y", TensorValue.ofFloats(new long[] {3, 2}, new float[6])),
            -1);

    assertThat(Set.of(Batching.shapeKey(a), Batching.shapeKey(b), Batching.shapeKey(c)))
        .as("same element counts, different shapes")
        .hasSize(3);
    assertThat(Batching.byShape(List.of(a, b, c, a), 8)).hasSize(3);
    assertThatThrownBy(() -> Batching.byShape(List.of(a), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1, got 0");
  }

  @Test
  void streamerEmitsHomogeneousBatchesAndBoundsPendingShapes() {
    int maxBatch = 8;
    int maxPending = 4;
    Batching.Streamer st = new Batching.Streamer(maxBatch, maxPending);
    List<Sample> rows = textRows(2000, 40, 62);
    Map<String, String> keyOf = new HashMap<>();
    Set<String> pending = new HashSet<>();
    List<String> emitted = new ArrayList<>();
    int maxPendingSeen = 0;

    for (Sample s : rows) {
      keyOf.put(s.id(), Batching.shapeKey(s));
      pending.add(s.id());
      List<Sample> out = st.add(s);
      checkBatch(out, maxBatch);
      out.forEach(o -> emitted.add(o.id()));
      out.forEach(o -> pending.remove(o.id()));
      long shapes = pending.stream().map(keyOf::get).distinct().count();
      maxPendingSeen = (int) Math.max(maxPendingSeen, shapes);
      assertThat(shapes)
          .as("partly filled shapes after row %s", s.id())
          .isLessThanOrEqualTo(maxPending);
    }
    for (List<Sample> b : st.flush()) {
      checkBatch(b, maxBatch);
      b.forEach(o -> emitted.add(o.id()));
    }

    assertThat(maxPendingSeen).as("the bound was reached, so it was tested").isEqualTo(maxPending);
    assertThat(emitted)
        .as("every row once")
        .containsExactlyInAnyOrderElementsOf(rows.stream().map(Sample::id).toList());
    assertThat(st.flush()).as("flush empties the streamer").isEmpty();
  }

  private static void checkBatch(List<Sample> b, int maxBatch) {
    assertThat(b.size()).as("batch size").isLessThanOrEqualTo(maxBatch);
    assertThat(b.stream().map(Batching::shapeKey).distinct().count())
        .as("shapes in an emitted batch")
        .isLessThanOrEqualTo(1);
  }
}
