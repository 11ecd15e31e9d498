package io.octet.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Groups rows into batches whose rows share every input's shape, so no row is ever padded.
 *
 * <p>Padding would feed made-up positions into the activation statistics and would make them depend
 * on which rows happened to share a batch. Rows of equal shape batch together exactly; ONNX
 * Runtime's CPU kernels give each row the same result whatever its batch mates (checked by the
 * determinism tests), so statistics do not depend on how a dataset is split.
 */
public final class Batching {
  private Batching() {}

  /**
   * Splits rows into batches of at most {@code maxBatch} rows of identical shapes. Batches come out
   * ordered by shape key (deterministic), rows keep their input order within a shape.
   *
   * @param rows the rows
   * @param maxBatch the most rows per batch (at least 1)
   * @return the batches
   */
  public static List<List<Sample>> byShape(Iterable<Sample> rows, int maxBatch) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("Batch size must be at least 1, got " + maxBatch);
    }
    Map<String, List<Sample>> groups = new TreeMap<>();
    for (Sample s : rows) {
      groups.computeIfAbsent(shapeKey(s), k -> new ArrayList<>()).add(s);
    }
    List<List<Sample>> out = new ArrayList<>();
    for (List<Sample> g : groups.values()) {
      for (int i = 0; i < g.size(); i += maxBatch) {
        out.add(List.copyOf(g.subList(i, Math.min(g.size(), i + maxBatch))));
      }
    }
    return out;
  }

  /**
   * Returns a key that is equal for two rows exactly when all their input shapes are equal.
   *
   * @param s a row
   * @return the key
   */
  public static String shapeKey(Sample s) {
    Map<String, TensorValue> sorted = new TreeMap<>(s.inputs());
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, TensorValue> e : sorted.entrySet()) {
      b.append(e.getKey()).append(Arrays.toString(e.getValue().shapeRef())).append(';');
    }
    return b.toString();
  }

  /**
   * Streams rows into shape-homogeneous batches with bounded memory: a batch is emitted as soon as
   * one shape has {@code maxBatch} rows, and the rest when the input ends.
   */
  public static final class Streamer {
    private final int maxBatch;
    private final Map<String, List<Sample>> pending = new LinkedHashMap<>();
    private final int maxPendingShapes;

    /**
     * Creates a streamer.
     *
     * @param maxBatch the most rows per batch
     * @param maxPendingShapes past this many partly filled shapes, the fullest is emitted early so
     *     memory stays bounded when every row has its own shape
     */
    public Streamer(int maxBatch, int maxPendingShapes) {
      if (maxBatch < 1 || maxPendingShapes < 1) {
        throw new IllegalArgumentException("Batch size and pending shapes must be at least 1");
      }
      this.maxBatch = maxBatch;
      this.maxPendingShapes = maxPendingShapes;
    }

    /**
     * Adds a row; returns the batch it completed, if any.
     *
     * @param s the row
     * @return a full batch, or an empty list
     */
    public List<Sample> add(Sample s) {
      String key = shapeKey(s);
      List<Sample> g = pending.computeIfAbsent(key, k -> new ArrayList<>());
      g.add(s);
      if (g.size() >= maxBatch) {
        pending.remove(key);
        return g;
      }
      if (pending.size() > maxPendingShapes) {
        String fullest = null;
        int best = -1;
        for (Map.Entry<String, List<Sample>> e : pending.entrySet()) {
          if (e.getValue().size() > best) {
            best = e.getValue().size();
            fullest = e.getKey();
          }
        }
        return pending.remove(fullest);
      }
      return List.of();
    }

    /**
     * Returns the remaining partial batches, ordered by shape key.
     *
     * @return the batches
     */
    public List<List<Sample>> flush() {
      List<List<Sample>> out = new ArrayList<>(new TreeMap<>(pending).values());
      pending.clear();
      return out;
    }
  }
}
