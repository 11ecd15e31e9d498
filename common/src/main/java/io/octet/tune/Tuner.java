package io.octet.tune;

import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.onnx.OnnxModel;
import io.octet.quant.QuantOptions;
import io.octet.quant.QuantPlan;
import io.octet.quant.Quantizer;
import io.octet.quant.TensorOverride;
import io.octet.validate.Gate;
import io.octet.validate.ValidationMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the cheapest static INT8 model that meets the gate.
 *
 * <ol>
 *   <li>Baseline; then the other clipping methods model-wide (the stored histograms make each a
 *       re-quantization, not another inference pass).
 *   <li>Sensitivity: each quantized node alone, every other node FP32; the further its output
 *       strays from FP32, the more sensitive.
 *   <li>Per-tensor methods: for the most sensitive nodes, every clipping method on their inputs,
 *       keeping what helps.
 *   <li>SmoothQuant, when enabled: outliers moved from activations into MatMul weights (needs a
 *       recalibration pass of the smoothed model, supplied by the caller).
 *   <li>Fallback: the k most sensitive nodes back to FP32, with the smallest k found by a
 *       bracketing search (several k per round, so a distributed evaluator measures them in one
 *       job) within the trial budget.
 * </ol>
 */
public final class Tuner {
  private static final Logger LOG = LoggerFactory.getLogger(Tuner.class);

  private final String model;
  private final Gate gate;
  private final Evaluator eval;
  private final TuningOptions o;
  private final Objective objective;
  private final List<Trial> trials = new ArrayList<>();
  private int budget;

  /**
   * A starting point: a prepared FP32 model and its calibration.
   *
   * @param prepared the prepared model (plan, types)
   * @param table its calibration table (with histograms)
   * @param label a name for reports ("plain", "smoothquant α=0.5")
   */
  public record Base(Quantizer.Prepared prepared, CalibrationTable table, String label) {}

  /**
   * What tuning decided.
   *
   * @param options the options of the chosen model (exclusions, overrides, method)
   * @param base the starting point it was built from
   * @param model the chosen quantized model
   * @param passed whether it met the gate on the tuning sample
   * @param fp32Nodes nodes kept in FP32
   * @param objective the metric optimized
   * @param trials every candidate measured, in order
   */
  public record Result(
      QuantOptions options,
      Base base,
      OnnxModel model,
      boolean passed,
      List<String> fp32Nodes,
      Objective objective,
      List<Trial> trials) {}

  /**
   * Creates a tuner.
   *
   * @param model the model's name
   * @param gate the gate to meet
   * @param eval evaluates candidates on the tuning sample
   * @param o tuning options
   */
  public Tuner(String model, Gate gate, Evaluator eval, TuningOptions o) {
    this.model = model;
    this.gate = gate;
    this.eval = eval;
    this.o = o;
    this.objective = Objective.of(gate);
    this.budget = o.maxTrials();
  }

  /**
   * Runs the search.
   *
   * @param start the calibrated FP32 model
   * @param opts its quantization options
   * @param smoothed builds the SmoothQuant starting point on demand (null when not offered)
   * @return the result
   */
  public Result tune(Base start, QuantOptions opts, Supplier<Base> smoothed) {
    Scored best = measure("baseline", "as configured", start, opts, List.of()).get(0);
    if (best.passed) {
      return result(best);
    }
    if (o.tryMethods()) {
      List<Spec> specs = new ArrayList<>();
      for (CalibrationMethod m : CalibrationMethod.values()) {
        if (m != opts.method()) {
          specs.add(
              new Spec(
                  "method", "all tensors " + m.configName(), start, opts.withMethod(m), List.of()));
        }
      }
      best = better(best, measureAll(specs));
      if (best.passed) {
        return result(best);
      }
    }
    if (o.smoothQuant() && smoothed != null) {
      Base sq = smoothed.get();
      best = better(best, measure("smoothquant", sq.label(), sq, best.options, List.of()).get(0));
      if (best.passed) {
        return result(best);
      }
    }
    List<String> order = sensitivity(best);
    if (o.tryMethods()) {
      best = better(best, tensorMethods(best, order));
      if (best.passed) {
        return result(best);
      }
    }
    return result(fallback(best, order));
  }

  /** Each quantized node alone; returns node names, most sensitive first. */
  private List<String> sensitivity(Scored best) {
    QuantPlan plan = Quantizer.replan(best.base.prepared(), best.options).plan();
    List<Spec> specs = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (QuantPlan.NodeQuant n : plan.nodes()) {
      if (n.nodeName().isEmpty()) {
        continue;
      }
      names.add(n.nodeName());
      specs.add(
          new Spec(
              "sensitivity",
              n.nodeName() + " alone",
              best.base,
              best.options.withIncludeNodes(List.of(n.nodeName())),
              List.of()));
    }
    // Sensitivity runs are measurements, not search steps: they do not count against the budget.
    int saved = budget;
    budget = Integer.MAX_VALUE;
    List<Scored> alone = measureAll(specs);
    budget = saved;
    Map<String, Double> score = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      score.put(names.get(i), alone.get(i).value);
    }
    List<String> order = new ArrayList<>(names);
    order.sort(Comparator.comparingDouble(score::get));
    LOG.info("{}: most sensitive nodes {}", model, order.subList(0, Math.min(5, order.size())));
    return order;
  }

  /**
   * Every other method on the inputs of the most sensitive nodes; keeps the overrides that help.
   */
  private Scored tensorMethods(Scored best, List<String> order) {
    QuantPlan plan = Quantizer.replan(best.base.prepared(), best.options).plan();
    Map<String, List<String>> inputsOf = new LinkedHashMap<>();
    var graph = new io.octet.onnx.OnnxGraph(best.base.prepared().fp32().proto().getGraph());
    for (QuantPlan.NodeQuant n : plan.nodes()) {
      graph
          .producer(n.firstOutput())
          .ifPresent(
              node -> {
                List<String> ins = new ArrayList<>();
                for (int k : n.activationInputs()) {
                  String t = node.getInput(k);
                  QuantPlan.ActivationQuant a = plan.activations().get(t);
                  if (a != null && a.source() == QuantPlan.Source.CALIBRATED) {
                    ins.add(t);
                  }
                }
                inputsOf.put(n.nodeName(), ins);
              });
    }
    List<Spec> specs = new ArrayList<>();
    List<String[]> what = new ArrayList<>();
    for (String node : order.subList(0, Math.min(4, order.size()))) {
      for (String t : inputsOf.getOrDefault(node, List.of())) {
        for (CalibrationMethod m : CalibrationMethod.values()) {
          if (m == best.options.method()) {
            continue;
          }
          Map<String, TensorOverride> ov = new LinkedHashMap<>(best.options.tensorOverrides());
          ov.put(t, new TensorOverride(m, null, null, null, null, null));
          specs.add(
              new Spec(
                  "tensor-method",
                  t + " " + m.configName(),
                  best.base,
                  best.options.withTensorOverrides(ov),
                  best.fp32Nodes));
          what.add(new String[] {t, m.configName()});
        }
      }
    }
    // Keep at least half of the remaining budget for the fallback search, which always works.
    int allowed = Math.max(0, budget / 2);
    if (specs.size() > allowed) {
      specs = new ArrayList<>(specs.subList(0, allowed));
      what = new ArrayList<>(what.subList(0, allowed));
    }
    if (specs.isEmpty()) {
      return best;
    }
    List<Scored> got = measureAll(specs);
    Map<String, TensorOverride> keep = new LinkedHashMap<>(best.options.tensorOverrides());
    Map<String, Double> bestPer = new LinkedHashMap<>();
    for (int i = 0; i < got.size(); i++) {
      String t = what.get(i)[0];
      if (got.get(i).value > best.value
          && got.get(i).value > bestPer.getOrDefault(t, Double.NEGATIVE_INFINITY)) {
        bestPer.put(t, got.get(i).value);
        keep.put(
            t,
            new TensorOverride(
                CalibrationMethod.fromConfig(what.get(i)[1]), null, null, null, null, null));
      }
    }
    if (keep.equals(best.options.tensorOverrides())) {
      return best;
    }
    return measure(
            "tensor-method",
            "combined per-tensor methods " + describe(keep),
            best.base,
            best.options.withTensorOverrides(keep),
            best.fp32Nodes)
        .get(0);
  }

  /** Smallest k such that the k most sensitive nodes in FP32 meet the gate. */
  private Scored fallback(Scored best, List<String> order) {
    int lo = 0; // known to fail
    int hi = -1; // smallest known to pass
    Scored passing = null;
    Scored all = null;
    while (budget > 0) {
      int top = hi < 0 ? order.size() : hi;
      if (top - lo <= 1 && hi >= 0) {
        break;
      }
      List<Integer> ks = probes(lo, top, hi < 0, Math.min(3, budget));
      List<Spec> specs = new ArrayList<>();
      for (int k : ks) {
        List<String> out = new ArrayList<>(order.subList(0, k));
        specs.add(
            new Spec(
                "fallback",
                k + " most sensitive node(s) in FP32",
                best.base,
                best.options.withExcludeNodes(concat(best.options.excludeNodes(), out)),
                out));
      }
      List<Scored> got = measureAll(specs);
      for (int i = 0; i < ks.size(); i++) {
        int k = ks.get(i);
        Scored c = got.get(i);
        if (k == order.size()) {
          all = c;
        }
        if (c.passed && (hi < 0 || k < hi)) {
          hi = k;
          passing = c;
        } else if (!c.passed && k > lo && (hi < 0 || k < hi)) {
          lo = k;
        }
      }
      if (hi < 0 && all != null && !all.passed) {
        return best; // even every node in FP32 misses the gate: nothing to gain
      }
    }
    return passing != null ? passing : best;
  }

  /** Probe points in (lo, top]: the top itself first when no pass is known yet. */
  private static List<Integer> probes(int lo, int top, boolean includeTop, int n) {
    List<Integer> ks = new ArrayList<>();
    if (includeTop) {
      ks.add(top);
      n--;
    }
    for (int i = 1; i <= n; i++) {
      int k = lo + (int) Math.round((double) (top - lo) * i / (n + 1));
      if (k > lo && k < top && !ks.contains(k)) {
        ks.add(k);
      }
    }
    if (ks.isEmpty()) {
      ks.add(Math.min(top, lo + 1));
    }
    java.util.Collections.sort(ks);
    return ks;
  }

  private record Spec(
      String step, String description, Base base, QuantOptions options, List<String> fp32Nodes) {}

  private static final class Scored {
    final Base base;
    final QuantOptions options;
    final double value;
    final boolean passed;
    final List<String> fp32Nodes;

    Scored(Base base, QuantOptions options, double value, boolean passed, List<String> fp32Nodes) {
      this.base = base;
      this.options = options;
      this.value = value;
      this.passed = passed;
      this.fp32Nodes = fp32Nodes;
    }
  }

  private List<Scored> measure(
      String step, String description, Base base, QuantOptions opts, List<String> fp32) {
    return measureAll(List.of(new Spec(step, description, base, opts, fp32)));
  }

  private List<Scored> measureAll(List<Spec> specs) {
    List<Candidate> recipes = new ArrayList<>();
    for (Spec s : specs) {
      recipes.add(new Candidate(s.base(), s.options()));
    }
    List<ValidationMetrics> metrics = eval.evaluate(recipes);
    List<Scored> out = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      Spec s = specs.get(i);
      ValidationMetrics m = metrics.get(i);
      boolean pass = gate.evaluate(m, Double.NaN).passed();
      // Sensitivity and per-tensor probes are only compared with each other: no timing needed.
      boolean timed = !s.step().equals("sensitivity") && !s.step().equals("tensor-method");
      double speed =
          timed && eval.timesCandidates() ? eval.speedup(recipes.get(i).build(model)) : Double.NaN;
      double v = objective.value(m);
      trials.add(new Trial(s.step(), s.description(), s.fp32Nodes(), v, pass, speed));
      LOG.info(
          String.format(
              Locale.ROOT,
              "%s: %s %s -> %s %.5f%s",
              model,
              s.step(),
              s.description(),
              objective.label(),
              v,
              pass ? " PASS" : ""));
      out.add(new Scored(s.base(), s.options(), v, pass, s.fp32Nodes()));
      budget--;
    }
    return out;
  }

  private static Scored better(Scored a, Scored b) {
    if (b.passed != a.passed) {
      return b.passed ? b : a;
    }
    return b.value > a.value ? b : a;
  }

  private static Scored better(Scored a, List<Scored> bs) {
    Scored best = a;
    for (Scored b : bs) {
      best = better(best, b);
    }
    return best;
  }

  private Result result(Scored c) {
    OnnxModel built = new Candidate(c.base, c.options).build(model);
    return new Result(c.options, c.base, built, c.passed, c.fp32Nodes, objective, trials);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    for (String s : b) {
      if (!out.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }

  private static String describe(Map<String, TensorOverride> ov) {
    StringBuilder b = new StringBuilder();
    ov.forEach(
        (k, v) ->
            b.append(k)
                .append('=')
                .append(v.method() == null ? "fixed" : v.method().configName())
                .append(' '));
    return b.toString().trim();
  }
}
