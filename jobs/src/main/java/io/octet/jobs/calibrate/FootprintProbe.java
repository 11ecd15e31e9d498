package io.octet.jobs.calibrate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.data.Sample;
import io.octet.error.QuantErrors;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.spark.BatchMemory;
import io.octet.memory.ActivationFootprint;
import io.octet.memory.ActivationFootprint.TensorShape;
import io.octet.runtime.InputBatch;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Learns how large each calibrated tensor is per row before calibration starts: one pass over the
 * calibration rows without inference finds the largest input dimension and the two shortest rows of
 * different sizes, and the calibration model runs those two rows alone on the driver. The two runs
 * show which dimensions of each tensor grow with the input (see {@link ActivationFootprint}).
 */
public final class FootprintProbe {
  private FootprintProbe() {}

  /**
   * What the pass over the rows found.
   *
   * @param maxDim the largest input dimension of any row
   * @param shortest up to two rows: the shortest, and the shortest of another size
   */
  public record Scan(long maxDim, List<Sized> shortest) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** A row and its largest input dimension. */
  public record Sized(long dim, InternalRow row) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * Scans the rows (decoding only; no inference).
   *
   * @param rows the calibration rows
   * @param decoder their decoder
   * @return the scan
   */
  public static Scan scan(JavaRDD<InternalRow> rows, RowDecoder decoder) {
    return rows.mapPartitions(
            (Iterator<InternalRow> it) -> {
              Scan acc = new Scan(1, List.of());
              long i = 0;
              while (it.hasNext()) {
                InternalRow r = it.next();
                long d = BatchMemory.dynamicDim(decoder.decode(r, "scan-" + i++));
                acc = merge(acc, new Scan(d, List.of(new Sized(d, r.copy()))));
              }
              return List.of(acc).iterator();
            })
        .fold(new Scan(1, List.of()), FootprintProbe::merge);
  }

  private static Scan merge(Scan a, Scan b) {
    List<Sized> all = new ArrayList<>(a.shortest());
    all.addAll(b.shortest());
    all.sort(Comparator.comparingLong(Sized::dim));
    List<Sized> keep = new ArrayList<>();
    for (Sized s : all) {
      if (keep.isEmpty() || (keep.size() == 1 && s.dim() != keep.get(0).dim())) {
        keep.add(s);
      }
    }
    return new Scan(Math.max(a.maxDim(), b.maxDim()), keep);
  }

  /**
   * Runs the scan's rows through the calibration model and builds the footprint.
   *
   * @param session a session on the calibration model
   * @param scan the scan
   * @param decoder the rows' decoder
   * @param outputFor calibrated tensor → graph output
   * @param model the model's name, for errors
   * @return the footprint, in {@code outputFor} order
   */
  public static ActivationFootprint probe(
      OrtSession session,
      Scan scan,
      RowDecoder decoder,
      Map<String, String> outputFor,
      String model) {
    List<Map<String, long[]>> shapes = new ArrayList<>();
    for (Sized s : scan.shortest()) {
      shapes.add(shapesOf(session, decoder.decode(s.row(), "probe"), outputFor, model));
    }
    List<TensorShape> out = new ArrayList<>();
    for (String t : outputFor.keySet()) {
      if (shapes.isEmpty()) {
        out.add(new TensorShape(t, new long[0], new boolean[0], 1, 4));
        continue;
      }
      Sized small = scan.shortest().get(0);
      boolean two = shapes.size() == 2;
      out.add(
          TensorShape.fromProbes(
              t,
              shapes.get(0).get(t),
              small.dim(),
              two ? shapes.get(1).get(t) : null,
              two ? scan.shortest().get(1).dim() : small.dim(),
              4));
    }
    return new ActivationFootprint(out);
  }

  private static Map<String, long[]> shapesOf(
      OrtSession session, Sample row, Map<String, String> outputFor, String model) {
    Map<String, long[]> out = new HashMap<>();
    try (InputBatch in = InputBatch.of(List.of(row));
        OrtSession.Result r =
            session.run(
                in.tensorsFor(session.getInputNames()), new LinkedHashSet<>(outputFor.values()))) {
      for (Map.Entry<String, String> e : outputFor.entrySet()) {
        OnnxTensor v = (OnnxTensor) r.get(e.getValue()).orElseThrow();
        out.put(e.getKey(), v.getInfo().getShape());
      }
    } catch (OrtException e) {
      throw QuantErrors.runtime(model, "measuring the calibration model's activations", e);
    }
    return out;
  }
}
