package io.octet.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.calib.CalibrationTable;
import io.octet.config.InputBinding;
import io.octet.data.ElemType;
import io.octet.jobs.calibrate.CalibrationTask;
import io.octet.jobs.calibrate.PartialStats;
import io.octet.jobs.data.Datasets;
import io.octet.jobs.data.RowDecoder;
import io.octet.jobs.spark.BatchMemory;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.util.Hashing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same calibration data in 1, 3 and 8 partitions, and with a task that fails once and is
 * retried, gives byte-identical calibration tables and INT8 model files.
 */
class DeterminismTest extends SparkTestBase {
  @TempDir static Path dir;
  static Path data;
  static OnnxModel fp32;
  static Quantizer.Prepared prepared;
  static String augUri;
  static String augSha;

  @BeforeAll
  static void setUp() throws Exception {
    data = TestData.writeDigits(spark, "calib", dir);
    fp32 = OnnxModelIO.read(repoRoot().resolve("models/digits-cnn/digits_cnn.onnx"));
    prepared = Quantizer.prepare(fp32, QuantOptions.defaults());
    Path aug = dir.resolve("calibration-model.onnx");
    OnnxModelIO.write(prepared.augmented().model(), aug, OnnxModelIO.WriteOptions.DEFAULT);
    augUri = TestData.uri(aug);
    augSha = Hashing.sha256(Files.readAllBytes(aug));
  }

  /** Fails the first attempt of partition 1, once per JVM; Spark retries the task. */
  record FailOnce(CalibrationTask task)
      implements FlatMapFunction<Iterator<InternalRow>, PartialStats> {
    static final AtomicBoolean FAILED = new AtomicBoolean();

    @Override
    public Iterator<PartialStats> call(Iterator<InternalRow> rows) throws Exception {
      TaskContext tc = TaskContext.get();
      if (tc.partitionId() == 1 && tc.attemptNumber() == 0 && FAILED.compareAndSet(false, true)) {
        rows.next(); // consume a little, then die as an executor would
        throw new IllegalStateException("injected task failure");
      }
      return task.call(rows);
    }
  }

  private byte[][] calibrate(int partitions, boolean failOnce) throws Exception {
    return calibrate(
        partitions, failOnce, BatchMemory.unbounded(prepared.augmented().outputFor().keySet()));
  }

  private byte[][] calibrate(int partitions, boolean failOnce, BatchMemory memory)
      throws Exception {
    Dataset<Row> ds = Datasets.read(spark, "digits", TestData.uri(data), 0, null);
    List<InputBinding> bindings =
        List.of(new InputBinding("image", "image", ElemType.FLOAT, new long[] {1, 8, 8}));
    RowDecoder decoder = RowDecoder.create("digits", "calib", ds.schema(), bindings, null, null);
    CalibrationTask task =
        new CalibrationTask(
            new HadoopObjectStore(spark.sparkContext().hadoopConfiguration(), Map.of()),
            augUri,
            augSha,
            List.of(),
            "digits",
            decoder,
            prepared.augmented().outputFor(),
            4096,
            7,
            memory);
    var rows = Datasets.internalRows(ds, partitions);
    PartialStats merged =
        failOnce
            ? rows.mapPartitions(new FailOnce(task)).treeReduce(PartialStats::merge, 2)
            : rows.mapPartitions(task).treeReduce(PartialStats::merge, 2);
    CalibrationTable table =
        Quantizer.calibrate("digits", prepared.plan(), merged.histograms(), merged.rows());
    OnnxModel q =
        Quantizer.quantize(
            fp32, QuantOptions.defaults(), prepared, table, Map.of("run-id", "fixed"));
    return new byte[][] {table.toJson(), OnnxModelIO.toBytes(q.proto())};
  }

  @Test
  void tablesAndModelsAreByteIdenticalForAnyPartitioningAndRetries() throws Exception {
    byte[][] one = calibrate(1, false);
    byte[][] three = calibrate(3, false);
    byte[][] eight = calibrate(8, false);
    byte[][] retried = calibrate(3, true);

    assertThat(FailOnce.FAILED).as("the injected failure happened").isTrue();
    assertThat(new String(one[0], java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"rows\" : 179");
    assertThat(three[0]).as("table, 3 partitions").isEqualTo(one[0]);
    assertThat(eight[0]).as("table, 8 partitions").isEqualTo(one[0]);
    assertThat(retried[0]).as("table, with a retried task").isEqualTo(one[0]);
    assertThat(three[1]).as("INT8 model, 3 partitions").isEqualTo(one[1]);
    assertThat(eight[1]).as("INT8 model, 8 partitions").isEqualTo(one[1]);
    assertThat(retried[1]).as("INT8 model, with a retried task").isEqualTo(one[1]);
  }

  @Test
  void batchesCutToOneRowByTheirMemoryCapGiveTheSameTableAndModel() throws Exception {
    // calibration.batch-memory caps the share a batch may use; a 1-byte share leaves one row per
    // batch instead of seven.
    BatchMemory unbounded = BatchMemory.unbounded(prepared.augmented().outputFor().keySet());
    BatchMemory oneRow =
        new BatchMemory(unbounded.footprint(), 1, unbounded.capacityBytes(), "1 byte per batch");
    byte[][] batched = calibrate(3, false);
    byte[][] single = calibrate(3, false, oneRow);

    assertThat(single[0]).as("table").isEqualTo(batched[0]);
    assertThat(single[1]).as("INT8 model").isEqualTo(batched[1]);
  }
}
