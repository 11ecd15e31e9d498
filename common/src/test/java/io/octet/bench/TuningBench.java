package io.octet.bench;

import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.engine.LocalEngine;
import io.octet.engine.LocalEvaluator;
import io.octet.engine.LocalTuning;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.testing.MiniLmData;
import io.octet.tune.Trial;
import io.octet.tune.Tuner;
import io.octet.tune.TuningOptions;
import io.octet.validate.Gate;
import io.octet.validate.Pooling;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Tuning benchmark (issue 8): MiniLM with a gate of mean cosine ≥ 0.995, tuned without and with
 * SmoothQuant; how many nodes stay FP32, the speed left, and every trial (the trade-off curve).
 */
public final class TuningBench {
  private TuningBench() {}

  /**
   * Runs the benchmark.
   *
   * @param args [calibration passages, tuning sample, held-out passages, output file, trial budget]
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int nCal = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int nTune = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int nHold = args.length > 2 ? Integer.parseInt(args[2]) : 400;
    Path out = Path.of(args.length > 3 ? args[3] : "target/tuning-bench.md");
    int budget = args.length > 4 ? Integer.parseInt(args[4]) : 16;
    OnnxModel fp32 = OnnxModelIO.read(MiniLmData.fp32Model());
    List<Sample> cal = MiniLmData.tokenize(MiniLmData.passages(0, nCal), "c", 128);
    List<Sample> tune = MiniLmData.tokenize(MiniLmData.passages(10000, nTune), "t", 128);
    List<Sample> hold = MiniLmData.tokenize(MiniLmData.passages(12000, nHold), "h", 128);
    ValidationOptions vo = new ValidationOptions("", Pooling.MEAN, "attention_mask", 5);
    Gate gate = new Gate(0.995, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    QuantOptions opts =
        QuantOptions.defaults().withOpTypes(List.of("MatMul")).withMethod(CalibrationMethod.MSE);
    Quantizer.Prepared p = Quantizer.prepare(fp32, opts);
    CalibrationTable table = LocalEngine.calibrate(p, cal, 32, 4096, 2);
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "all-MiniLM-L6-v2, static INT8 (MatMul, u8/s8, mse) calibrated on %d passages; gate mean cosine ≥ 0.995"
                + " on a tuning sample of %d passages; the chosen model re-validated on %d held-out passages; trial budget %d.%n%n",
            cal.size(),
            tune.size(),
            hold.size(),
            budget));
    for (boolean sq : new boolean[] {false, true}) {
      TuningOptions to = new TuningOptions(true, budget, nTune, true, sq, 0.5, 64);
      LocalEvaluator eval = new LocalEvaluator(fp32, tune, vo, 2, 64);
      Tuner.Result r =
          new Tuner("minilm", gate, eval, to)
              .tune(
                  new Tuner.Base(p, table, "plain"),
                  opts,
                  sq ? LocalTuning.smoothQuant(fp32, opts, 0.5, cal, 4096, 2) : null);
      ValidationMetrics held = LocalEngine.validate(fp32, r.model(), hold, vo, 32, 2);
      double speed = eval.speedup(r.model());
      md.append(
          String.format(
              Locale.ROOT,
              "### %s%n%nResult: %s; %d node(s) kept in FP32 %s; held-out mean cosine %.5f (min %.5f); %.2f× FP32 speed; base %s.%n%n",
              sq ? "With SmoothQuant (α = 0.5) allowed" : "Without SmoothQuant",
              r.passed() ? "meets the gate" : "does NOT meet the gate within the budget",
              r.fp32Nodes().size(),
              r.fp32Nodes(),
              held.meanCosine(),
              held.minCosine(),
              speed,
              r.base().label()));
      md.append(
          "| step | candidate | FP32 nodes | mean cos (tuning sample) | passes | speedup |\n|---|---|---|---|---|---|\n");
      for (Trial t : r.trials()) {
        if (t.step().equals("sensitivity")) {
          continue;
        }
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %d | %.5f | %s | %s |%n",
                t.step(),
                t.description(),
                t.fp32Nodes().size(),
                t.objective(),
                t.passed() ? "yes" : "no",
                Double.isNaN(t.speedup())
                    ? "–"
                    : String.format(Locale.ROOT, "%.2f×", t.speedup())));
      }
      md.append('\n');
      long sens = r.trials().stream().filter(t -> t.step().equals("sensitivity")).count();
      md.append(
          String.format(Locale.ROOT, "(%d single-node sensitivity runs not listed.)%n%n", sens));
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md.toString());
    System.out.println(md);
  }
}
