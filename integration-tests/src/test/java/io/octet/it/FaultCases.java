package io.octet.it;

import static io.octet.it.FaultMatrixIT.in;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.octet.it.FaultMatrixIT.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/** The cases of {@link FaultMatrixIT}: registry entries, arguments and what each must end with. */
final class FaultCases {
  private FaultCases() {}

  /**
   * A digits model entry; {@code extra} goes inside the entry, {@code validation} into it. Pinned
   * to static mode: the matrix is about faults, and auto mode's search (AutoPipelineTest,
   * EndToEndIT) would multiply its 36 runs' time.
   */
  static String entry(
      Storage st, String name, String model, String calib, String val, String extra) {
    return """
          "%s" {
            uri = "%s"
            quantization { mode = static }
            calibration { dataset = "%s" }
            validation {
              dataset = "%s", latency-rows = 0, node-sqnr-rows = 0
              gate { max-accuracy-drop-points = 1 }
            }
            label-column = label
            id-column = id
            inputs = [ { name = image, column = image, dtype = float32, shape = [1, 8, 8] } ]
            %s
          }
        """
        .formatted(name, in(st, model), in(st, calib), in(st, val), extra);
  }

  static String ok(Storage st, String name) {
    return entry(st, name, "digits.onnx", "calib", "test", "");
  }

  /**
   * One case of the matrix.
   *
   * @param name the case
   * @param entries the registry's model entries
   * @param args arguments after {@code run --registry R --run-id ID}
   * @param exit the exit code
   * @param line a pattern one output line must match
   * @param published models with a manifest under the run
   * @param promoted models whose latest points at the run (the others have no latest)
   * @param reuseRunId run once first with the same run id (that run must pass)
   * @param check more assertions on the warehouse, given the run id
   */
  record Case(
      String name,
      java.util.function.Function<Storage, List<String>> entries,
      List<String> args,
      int exit,
      String line,
      Set<String> published,
      Set<String> promoted,
      boolean reuseRunId,
      BiConsumer<Warehouse, String> check) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case c(
      String name,
      java.util.function.Function<Storage, List<String>> entries,
      List<String> args,
      int exit,
      String line,
      Set<String> published,
      Set<String> promoted) {
    return new Case(name, entries, args, exit, line, published, promoted, false, (w, id) -> {});
  }

  static List<Case> cases() {
    List<Case> cs = new ArrayList<>();
    cs.add(
        c(
            "clean run",
            st -> List.of(ok(st, "ok")),
            List.of(),
            0,
            "\\[octet\\] ok +publish .*\\(latest\\)",
            Set.of("ok"),
            Set.of("ok")));
    cs.add(
        new Case(
            "reused run id",
            st -> List.of(ok(st, "ok")),
            List.of("--force", "--set", "quantization.method=minmax"),
            2,
            "^octet: Run id '[^']+' was already used",
            Set.of("ok"),
            Set.of("ok"),
            true,
            (w, id) -> {}));
    cs.add(
        new Case(
            "model named twice",
            st -> List.of(ok(st, "ok")),
            List.of("--models", "ok,ok"),
            0,
            "--models names 'ok' more than once; it runs once",
            Set.of("ok"),
            Set.of("ok"),
            false,
            (w, id) ->
                assertThat(w.json("_runs/" + id + "/summary.json").path("models")).hasSize(1)));
    cs.add(
        c(
            "unknown model in --models",
            st -> List.of(ok(st, "ok")),
            List.of("--models", "nope"),
            2,
            "^octet: .*no model named 'nope'",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "corrupt model",
            st -> List.of(ok(st, "ok"), entry(st, "corrupt", "corrupt.onnx", "calib", "test", "")),
            List.of(),
            1,
            "\\[octet\\] corrupt +FAILED +\\w+: Model 'corrupt'.*corrupt\\.onnx",
            Set.of("ok"),
            Set.of("ok")));
    cs.add(
        c(
            "missing model file",
            st -> List.of(ok(st, "ok"), entry(st, "missing", "nope.onnx", "calib", "test", "")),
            List.of(),
            1,
            "\\[octet\\] missing +FAILED .*nope\\.onnx.*does not exist",
            Set.of("ok"),
            Set.of("ok")));
    cs.add(
        c(
            "model uri is a directory",
            st -> List.of(entry(st, "folder", "a-folder.onnx", "calib", "test", "")),
            List.of(),
            1,
            "\\[octet\\] folder +FAILED .*a-folder\\.onnx.*is a directory, not a file",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "missing dataset column",
            st ->
                List.of(
                    entry(
                        st,
                        "column",
                        "digits.onnx",
                        "calib",
                        "test",
                        "inputs = [ { name = image, column = pixels, dtype = float32, shape = [1,"
                            + " 8, 8] } ]")),
            List.of(),
            1,
            "\\[octet\\] column +FAILED .*no column 'pixels'",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "empty calibration dataset",
            st -> List.of(entry(st, "empty", "digits.onnx", "empty", "test", "")),
            List.of(),
            1,
            "\\[octet\\] empty +FAILED .*has no rows",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "rows of the wrong shape",
            st -> List.of(entry(st, "shape", "digits.onnx", "wrong-shape", "test", "")),
            List.of(),
            1,
            "\\[octet\\] shape +FAILED .*(shape|elements)",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "partitions beyond the row count",
            st -> List.of(ok(st, "ok")),
            List.of("--set", "calibration.partitions=1000"),
            0,
            "calibration.partitions = 1000 is more than the dataset's 179 rows; using 179",
            Set.of("ok"),
            Set.of("ok")));
    cs.add(
        c(
            "several outputs, none named, with labels",
            st -> List.of(entry(st, "unnamed", "two-outputs.onnx", "calib", "test", "")),
            List.of(),
            1,
            "\\[octet\\] unnamed +FAILED +validate: .*has 2 outputs .*set validation.output",
            Set.of(),
            Set.of()));
    cs.add(
        c(
            "gate on an output where FP32 scores 0",
            st ->
                List.of(
                    entry(
                        st,
                        "features",
                        "two-outputs.onnx",
                        "calib",
                        "test",
                        "validation.output = features")),
            List.of(),
            1,
            "\\[octet\\] features +FAILED +validate: .*FP32 top-1 accuracy on output 'features'"
                + " is 0 %",
            Set.of(),
            Set.of()));
    cs.add(
        new Case(
            "gate on the named output",
            st ->
                List.of(
                    entry(
                        st,
                        "named",
                        "two-outputs.onnx",
                        "calib",
                        "test",
                        "validation.output = \"" + FaultMatrixIT.logits + "\"")),
            List.of(),
            0,
            "\\[octet\\] named +publish .*\\(latest\\)",
            Set.of("named"),
            Set.of("named"),
            false,
            (w, id) -> {
              JsonNode v = w.json("named/1/" + id + "/validation.json");
              assertThat(v.path("output").asText()).isEqualTo(FaultMatrixIT.logits);
              assertThat(v.path("output-rule").asText()).isEqualTo("validation.output");
            }));
    cs.add(
        c(
            "gate missed: published, not promoted",
            st -> List.of(ok(st, "strict")),
            List.of("--set", "validation.gate.min-sqnr-db=200"),
            1,
            "\\[octet\\] strict +publish .*not promoted: gate failed",
            Set.of("strict"),
            Set.of()));
    cs.add(
        c(
            "bad value from --set",
            st -> List.of(ok(st, "ok")),
            List.of("--set", "calibration.num-bins=lots"),
            2,
            "^octet: Config error in '--set calibration.num-bins=lots' at key"
                + " '[^']*calibration.num-bins'",
            Set.of(),
            Set.of()));
    cs.add(
        new Case(
            "labels out of range",
            st -> List.of(entry(st, "labels", "digits.onnx", "calib", "bad-labels", "")),
            List.of(),
            0,
            "\\[octet\\] labels +warning +7 of 539 labels in column 'label' are no class index",
            Set.of("labels"),
            Set.of("labels"),
            false,
            (w, id) -> {
              JsonNode m = Bucket.model(w.json("_runs/" + id + "/summary.json"), "labels");
              assertThat(m.path("warnings").toString()).contains("7 of 539 labels");
              assertThat(
                      w.json("labels/1/" + id + "/validation.json")
                          .path("labels-out-of-range")
                          .asLong())
                  .isEqualTo(7);
            }));
    cs.add(
        c(
            "validation data = calibration data",
            st -> List.of(entry(st, "same", "digits.onnx", "calib", "calib", "")),
            List.of(),
            0,
            "\\[octet\\] same +warning +validation.dataset is the calibration dataset",
            Set.of("same"),
            Set.of("same")));
    return cs;
  }
}
