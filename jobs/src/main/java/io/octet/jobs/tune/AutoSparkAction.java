package io.octet.jobs.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.jobs.calibrate.CalibrateSparkAction;
import io.octet.jobs.pipeline.StageContext;
import io.octet.jobs.validate.ValidationOutcome;
import io.octet.onnx.OnnxModel;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.tune.AutoChoice;
import io.octet.tune.AutoOptions;
import io.octet.tune.AutoRecipes;
import io.octet.tune.Candidate;
import io.octet.tune.Objective;
import io.octet.tune.Recipe;
import io.octet.tune.Tuner;
import io.octet.util.Json;
import io.octet.validate.Gate;
import io.octet.validate.ValidationMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Auto mode's search, run before the quantize stage: derive candidate recipes from the graph,
 * calibrate once for all static ones, time every candidate in one executor task, score the ones
 * that built on the validation sample with the tuner's Spark evaluator, and pick the fastest that
 * passes the gate ({@link AutoChoice}); the chosen recipe is then tried with 8-bit embedding tables
 * and keeps them when the gate still passes. Stages {@code auto.json} (every candidate's figures
 * and the chosen recipe) and, for a static choice, the chosen recipe's {@code calibration.json};
 * the context then quantizes with the chosen options.
 */
public final class AutoSparkAction {
  /** The staged record's name. */
  public static final String RECORD = "auto.json";

  private final StageContext ctx;
  private final Consumer<String> progress;

  /**
   * Creates the action.
   *
   * @param ctx the model's stage context
   * @param progress where progress lines go (one per step)
   */
  public AutoSparkAction(StageContext ctx, Consumer<String> progress) {
    this.ctx = ctx;
    this.progress = progress;
  }

  /**
   * What the search chose.
   *
   * @param chosen the chosen recipe
   * @param options the options the model is quantized with
   * @param passedOnSample whether the chosen candidate met the gate on the sample
   * @param candidates candidates scored
   * @param calibrated rows calibrated (0 when no static candidate)
   * @param json the record (also staged as auto.json)
   */
  public record Result(
      Recipe chosen,
      QuantOptions options,
      boolean passedOnSample,
      int candidates,
      long calibrated,
      ObjectNode json) {}

  /**
   * Runs the search and points the context at the chosen recipe.
   *
   * @return the result
   */
  public Result execute() {
    boolean done = false;
    try {
      Result r = search();
      done = true;
      return r;
    } finally {
      if (!done) {
        // Spark's failures arrive as checked exceptions too: whatever ended the search, the
        // model's outcome reports the mode it was given, not the calibration pass's options.
        ctx.useQuantization(ctx.requestedModel().quantization());
      }
    }
  }

  private Result search() {
    var m = ctx.requestedModel();
    AutoOptions auto = m.auto();
    QuantOptions base = m.quantization();
    Gate gate = m.validation().gate();
    OnnxModel fp32 = ctx.fp32();
    Quantizer.Prepared unplanned = Quantizer.unplanned(fp32);
    AutoRecipes.GraphFacts facts =
        AutoRecipes.GraphFacts.of(unplanned.fp32(), auto.embeddingMinBytes(), base);
    List<Recipe> recipes =
        AutoRecipes.derive(facts, auto, base.opTypes(), m.calibration().dataset() != null);
    if (recipes.isEmpty()) {
      throw io.octet.error.QuantErrors.badConfig(
          ctx.registry().source(),
          "models." + m.name() + ".quantization.auto.recipes",
          "model '"
              + m.name()
              + "': none of the recipes "
              + auto.recipes()
              + " applies to this graph"
              + (m.calibration().dataset() == null ? " without calibration data" : "")
              + "; add fp16 (it applies to every model) or set calibration.dataset for the static"
              + " recipes",
          null);
    }
    progress.accept(
        String.format(
            java.util.Locale.ROOT,
            "%d candidate recipes (%s)%s",
            recipes.size(),
            String.join(", ", recipes.stream().map(Recipe::label).toList()),
            facts.embeddingTables() > 0 && auto.embeddings()
                ? ", then the chosen one with 8-bit embeddings"
                : ""));
    Quantizer.Prepared prepared = unplanned;
    CalibrationTable table = null;
    String tableUri = null;
    long calibrated = 0;
    List<String> calibrationOps = AutoRecipes.calibrationOpTypes(recipes);
    QuantOptions calibration =
        base.toBuilder().mode(QuantMode.STATIC).opTypes(calibrationOps).build();
    Quantizer.Prepared staticPrepared =
        calibrationOps.isEmpty() ? null : preparedOrNull(fp32, calibration);
    if (!calibrationOps.isEmpty() && staticPrepared == null) {
      // Nothing the static recipes would quantize (no such op, or all excluded): the others go on.
      recipes = recipes.stream().filter(r -> r.mode() != QuantMode.STATIC).toList();
      calibrationOps = List.of();
      progress.accept("no node a static recipe quantizes: static candidates left out");
      if (recipes.isEmpty()) {
        throw io.octet.error.QuantErrors.unsupported(
            m.name(),
            "no node can be quantized by the recipes " + auto.recipes(),
            "Add fp16 or dynamic to quantization.auto.recipes, or check the exclusion lists.");
      }
    }
    if (!calibrationOps.isEmpty()) {
      // One pass over the calibration data for every static recipe: each re-plans a subset.
      ctx.useQuantization(calibration);
      CalibrateSparkAction.Result cal = new CalibrateSparkAction(ctx).execute();
      table = cal.table();
      tableUri = cal.tableUri();
      calibrated = cal.rows();
      prepared = staticPrepared;
      progress.accept(
          String.format(
              java.util.Locale.ROOT,
              "calibrated %d rows, %d partitions, %d tensors once for every static candidate (op"
                  + " types %s)",
              cal.rows(),
              cal.partitions(),
              cal.table().tensors().size(),
              calibrationOps));
    }
    Map<String, StagedBase> bases = new ConcurrentHashMap<>();
    bases.put("plain", new StagedBase(ctx.fp32Uri(), ctx.fp32Sha(), ctx.fp32DataFiles(), tableUri));
    Tuner.Base start = new Tuner.Base(prepared, table, "plain");
    List<Sample> sample = TuneSparkAction.sample(ctx, auto.sampleRows());
    var vc = m.validation();
    SparkEvaluator eval =
        new SparkEvaluator(
            ctx.spark(),
            ctx.store(),
            m.name(),
            bases,
            sample,
            vc.compare(),
            vc.batchSize(),
            fp32,
            0,
            vc.latencyThreads());
    List<Row> rows = new ArrayList<>();
    score(recipes, base, start, bases.get("plain"), sample, eval, gate, auto, rows);
    Objective objective = Objective.of(gate);
    Recipe tuned = tunedOrNull(rows, base, start, eval, gate, auto, objective);
    if (tuned != null) {
      score(List.of(tuned), base, start, bases.get("plain"), sample, eval, gate, auto, rows);
    }
    int chosen = choose(m.name(), rows, objective, auto.speedTie());
    Row first = rows.get(chosen);
    // fp16 keeps its tables in half precision: only the INT8 modes store them as 8 bits.
    if (first.scored != null
        && first.scored.passed()
        && (first.recipe.mode() == QuantMode.STATIC || first.recipe.mode() == QuantMode.DYNAMIC)
        && auto.embeddings()
        && facts.embeddingTables() > 0
        && !first.recipe.embeddings8bit()) {
      int before = rows.size();
      score(
          List.of(first.recipe.withEmbeddings8bit()),
          base,
          start,
          bases.get("plain"),
          sample,
          eval,
          gate,
          auto,
          rows);
      Row variant = rows.get(before);
      if (variant.scored != null && variant.scored.passed()) {
        chosen = before;
      }
    }
    Row pick = rows.get(chosen);
    QuantOptions options = pick.recipe.apply(base);
    if (options.mode() == QuantMode.STATIC) {
      // The quantize stage reads the staged table: it must hold the chosen plan's ranges.
      Quantizer.Prepared p = Quantizer.replan(prepared, options);
      CalibrationTable t =
          Quantizer.calibrate(m.name(), p.plan(), table.histograms(), table.rows());
      ctx.store().writeBytes(ctx.staged("calibration.json"), t.toJson());
    } else if (tableUri != null) {
      ctx.store().delete(tableUri);
    }
    ObjectNode json = json(rows, chosen, objective, gate, sample.size(), auto, facts, calibrated);
    ctx.store().writeBytes(ctx.staged(RECORD), Json.bytes(json));
    ctx.useQuantization(options);
    boolean passed = pick.scored != null && pick.scored.passed();
    progress.accept(
        String.format(
            java.util.Locale.ROOT,
            "chose %s%s",
            pick.recipe.label(),
            passed ? "" : " (no candidate passed the gate on the sample: the closest to FP32)"));
    return new Result(pick.recipe, options, passed, rows.size(), calibrated, json);
  }

  /**
   * When no static candidate passes, the tuner refines the closest: each quantized node scored
   * alone, then the fewest most sensitive ones kept in FP32 that let the gate pass. Returns that
   * recipe (to be timed and scored like the others), or null when there is nothing to refine or the
   * tuner found no passing set.
   */
  private Recipe tunedOrNull(
      List<Row> rows,
      QuantOptions base,
      Tuner.Base start,
      SparkEvaluator eval,
      Gate gate,
      AutoOptions auto,
      Objective objective) {
    if (auto.tuneTrials() == 0 || start.table() == null) {
      return null;
    }
    Row closest = null;
    for (Row r : rows) {
      if (r.recipe.mode() != QuantMode.STATIC || r.scored == null) {
        continue;
      }
      if (r.scored.passed()) {
        return null;
      }
      if (closest == null
          || objective.value(r.scored.metrics()) > objective.value(closest.scored.metrics())) {
        closest = r;
      }
    }
    if (closest == null) {
      return null;
    }
    // Keeping nodes in FP32 never makes a recipe faster: when a passing candidate is already at
    // least as fast as the closest static one (within the tie), the tuned one could not win.
    double fastestPassing =
        rows.stream()
            .filter(r -> r.scored != null && r.scored.passed())
            .mapToDouble(r -> r.timing.speedup())
            .filter(Double::isFinite)
            .max()
            .orElse(Double.NaN);
    double parent = closest.timing.speedup();
    if (Double.isFinite(fastestPassing)
        && Double.isFinite(parent)
        && parent < fastestPassing * (1 + auto.speedTie())) {
      progress.accept(
          String.format(
              java.util.Locale.ROOT,
              "no static candidate passes; not tuning %s: at %.2fx it is not faster than a"
                  + " passing candidate (%.2fx), and keeping nodes in FP32 only slows it",
              closest.recipe.label(),
              parent,
              fastestPassing));
      return null;
    }
    var m = ctx.requestedModel();
    progress.accept(
        String.format(
            java.util.Locale.ROOT,
            "no static candidate passes: tuning %s (each quantized node alone, then at most %d"
                + " trials)",
            closest.recipe.label(),
            auto.tuneTrials()));
    long t0 = System.nanoTime();
    var own = m.tuning();
    // Methods were already searched per recipe; SmoothQuant would need another calibration pass.
    var options =
        new io.octet.tune.TuningOptions(
            true, auto.tuneTrials(), own.sampleRows(), false, false, own.smoothQuantAlpha(), 0);
    QuantOptions closestOptions = closest.recipe.apply(base);
    int quantized = Quantizer.replan(start.prepared(), closestOptions).plan().nodes().size();
    Tuner.Result r = new Tuner(m.name(), gate, eval, options).tune(start, closestOptions, null);
    double seconds = (System.nanoTime() - t0) / 1e9;
    // Every node in FP32 passes trivially and is no INT8 model: not a candidate.
    if (!r.passed() || r.fp32Nodes().isEmpty() || r.fp32Nodes().size() >= quantized) {
      progress.accept(
          String.format(
              java.util.Locale.ROOT,
              "tuning found no passing set of FP32 nodes (%d trials, %.1f s)",
              r.trials().size(),
              seconds));
      return null;
    }
    Recipe refined = closest.recipe.withFp32Nodes(r.fp32Nodes());
    progress.accept(
        String.format(
            java.util.Locale.ROOT,
            "tuning kept %d node(s) in FP32 (%d trials, %.1f s): %s",
            r.fp32Nodes().size(),
            r.trials().size(),
            seconds,
            refined.label()));
    return refined;
  }

  /**
   * Points the context at the recipe a previous step of the same run chose (the single-stage
   * commands run in separate processes).
   *
   * @param ctx the model's context
   * @return the chosen recipe
   */
  public static Recipe resume(StageContext ctx) {
    String uri = ctx.staged(RECORD);
    if (!ctx.store().exists(uri)) {
      throw io.octet.error.QuantErrors.badConfig(
          ctx.registry().source(),
          "models." + ctx.model().name() + ".quantization.mode",
          "model '"
              + ctx.model().name()
              + "' uses mode auto and run "
              + ctx.runId()
              + " has no "
              + RECORD
              + " staged: run the calibrate stage of this run first (it chooses the recipe)",
          null);
    }
    Recipe r = recipe(Json.parse(ctx.store().readBytes(uri), uri).path("chosen"));
    ctx.useQuantization(r.apply(ctx.requestedModel().quantization()));
    return r;
  }

  /** The static plan with these options, or null when it quantizes nothing. */
  private static Quantizer.Prepared preparedOrNull(OnnxModel fp32, QuantOptions calibration) {
    try {
      return Quantizer.prepare(fp32, calibration);
    } catch (io.octet.error.QuantException e) {
      if (e.kind() == io.octet.error.QuantException.Kind.UNSUPPORTED_MODEL) {
        return null;
      }
      throw e;
    }
  }

  /** One candidate: its recipe, its timing (or why it did not build), its scores. */
  private static final class Row {
    final Recipe recipe;
    LatencyTask.Timing timing;
    String error;
    AutoChoice.Scored scored;

    Row(Recipe recipe) {
      this.recipe = recipe;
    }
  }

  private void score(
      List<Recipe> recipes,
      QuantOptions base,
      Tuner.Base start,
      StagedBase staged,
      List<Sample> sample,
      SparkEvaluator eval,
      Gate gate,
      AutoOptions auto,
      List<Row> rows) {
    var vc = ctx.requestedModel().validation();
    List<Row> batch = recipes.stream().map(Row::new).toList();
    // One task builds and times every candidate, so every speedup comes from the same CPU; a
    // recipe that cannot build or run (an operator its mode does not support) comes back with its
    // error and is left out instead of failing the search.
    List<LatencyTask.Timing> timings;
    try {
      timings =
          time(
              staged,
              recipes.stream().map(r -> r.apply(base)).toList(),
              sample,
              auto.latencyRows(),
              vc);
    } catch (Exception e) {
      String why = safe(e);
      timings = recipes.stream().map(r -> new LatencyTask.Timing(0, 0, -1, why)).toList();
    }
    List<Candidate> built = new ArrayList<>();
    List<Row> builtRows = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      Row row = batch.get(i);
      LatencyTask.Timing t = timings.get(i);
      if (t.error() != null) {
        row.error = io.octet.storage.Uris.redactText(t.error(), "****");
        progress.accept(row.recipe.label() + " left out: " + row.error);
      } else {
        row.timing = t;
        built.add(new Candidate(start, row.recipe.apply(base)));
        builtRows.add(row);
      }
    }
    List<ValidationMetrics> metrics = evaluate(eval, built, builtRows);
    for (int i = 0; i < builtRows.size(); i++) {
      Row row = builtRows.get(i);
      if (metrics.get(i) == null) {
        continue;
      }
      row.scored =
          AutoChoice.score(
              row.recipe, metrics.get(i), row.timing.speedup(), row.timing.bytes(), gate);
      progress.accept(
          String.format(
              java.util.Locale.ROOT,
              "%-32s %s, %s, %.1f MB: %s",
              row.recipe.label(),
              fidelity(metrics.get(i)),
              Double.isFinite(row.timing.speedup())
                  ? String.format(java.util.Locale.ROOT, "%.2fx", row.timing.speedup())
                  : "not timed",
              row.timing.bytes() / 1e6,
              row.scored.passed()
                  ? "passes"
                  : "fails (" + String.join("; ", row.scored.verdict().failures()) + ")"));
    }
    rows.addAll(batch);
  }

  /**
   * Scores the built candidates in one Spark job; when that job fails, each candidate alone, so one
   * that fails in ONNX Runtime is left out with its error and the others are still scored.
   */
  private List<ValidationMetrics> evaluate(
      SparkEvaluator eval, List<Candidate> built, List<Row> builtRows) {
    if (built.isEmpty()) {
      return List.of();
    }
    try {
      return eval.evaluate(built);
    } catch (Exception e) {
      List<ValidationMetrics> out = new ArrayList<>();
      for (int i = 0; i < built.size(); i++) {
        try {
          out.add(eval.evaluate(List.of(built.get(i))).get(0));
        } catch (Exception one) {
          Row row = builtRows.get(i);
          row.error = safe(one);
          row.timing = null;
          progress.accept(row.recipe.label() + " left out: " + row.error);
          out.add(null);
        }
      }
      return out;
    }
  }

  /** One line for auto.json, the manifest and the report: no credentials from a URI in it. */
  private static String safe(Throwable e) {
    return io.octet.storage.Uris.redactText(
        io.octet.jobs.pipeline.Failures.oneLine(io.octet.jobs.pipeline.Failures.describe(e)),
        "****");
  }

  private static String fidelity(ValidationMetrics v) {
    String cos =
        String.format(
            java.util.Locale.ROOT, "mean cos %.4f, min cos %.4f", v.meanCosine(), v.minCosine());
    return v.labeledRows() > 0
        ? String.format(
            java.util.Locale.ROOT, "accuracy drop %.2f pts, %s", v.accuracyDropPoints(), cos)
        : cos;
  }

  // Models searched in parallel (run.parallel-models) take turns to time their candidates, so one
  // model's timing does not run beside another's.
  private static final Object TIMING = new Object();

  private LatencyTask.Result lastTiming;

  private List<LatencyTask.Timing> time(
      StagedBase staged,
      List<QuantOptions> options,
      List<Sample> sample,
      int latencyRows,
      io.octet.config.ValidationConfig vc) {
    var m = ctx.requestedModel();
    LatencyTask task =
        new LatencyTask(
            ctx.store(),
            m.name(),
            staged,
            options,
            vc.batchSize(),
            vc.latencyThreads(),
            vc.latencyRounds());
    List<Sample> rows = List.copyOf(sample.subList(0, Math.min(latencyRows, sample.size())));
    var sc = ctx.spark().sparkContext();
    sc.setJobGroup("octet-auto-" + m.name(), "Octet: time candidates of " + m.name(), false);
    try {
      synchronized (TIMING) {
        lastTiming =
            new JavaSparkContext(sc)
                .parallelize(List.of(0), 1)
                .map(i -> task.run(rows))
                .collect()
                .get(0);
      }
    } finally {
      sc.clearJobGroup();
    }
    return lastTiming.timings();
  }

  private static int choose(String model, List<Row> rows, Objective objective, double tie) {
    List<AutoChoice.Scored> scored = new ArrayList<>();
    List<Integer> index = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).scored != null) {
        scored.add(rows.get(i).scored);
        index.add(i);
      }
    }
    return AutoChoice.choose(scored, objective, tie)
        .map(index::get)
        .orElseThrow(
            () ->
                io.octet.error.QuantErrors.unsupported(
                    model,
                    "no candidate recipe could be built: "
                        + String.join(
                            "; ",
                            rows.stream().map(r -> r.recipe.label() + ": " + r.error).toList()),
                    "name a mode in quantization.mode, or report the model's graph"));
  }

  private ObjectNode json(
      List<Row> rows,
      int chosen,
      Objective objective,
      Gate gate,
      int sampleRows,
      AutoOptions auto,
      AutoRecipes.GraphFacts facts,
      long calibrated) {
    ObjectNode o = Json.object();
    o.put("format", "octet-auto/1");
    o.put("objective", objective.label());
    o.put("sample-rows", sampleRows);
    o.put("latency-rows", Math.min(auto.latencyRows(), sampleRows));
    o.put("speed-tie", auto.speedTie());
    o.put("calibration-rows", calibrated);
    if (lastTiming != null) {
      ObjectNode cpu = o.putObject("timed-on");
      cpu.put("arch", lastTiming.cpu().arch());
      ArrayNode flags = cpu.putArray("flags");
      lastTiming.cpu().flags().forEach(flags::add);
    }
    ObjectNode g = o.putObject("graph");
    g.put("attention", facts.attention());
    g.put("convolutions", facts.convolutions());
    g.put("weighted-matmuls", facts.weightedMatMuls());
    g.put("embedding-tables", facts.embeddingTables());
    o.put("fp32-bytes", ctx.fp32Bytes());
    Row pick = rows.get(chosen);
    o.set("chosen", recipeJson(pick.recipe));
    o.put("passed-on-sample", pick.scored != null && pick.scored.passed());
    ArrayNode list = o.putArray("candidates");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      ObjectNode x = recipeJson(r.recipe);
      list.add(x);
      x.put("label", r.recipe.label());
      x.put("chosen", i == chosen);
      if (r.error != null) {
        x.put("error", r.error);
      }
      if (r.timing != null) {
        ValidationOutcome.num(x, "speedup", r.timing.speedup());
        ValidationOutcome.num(x, "fp32-ms-per-row", r.timing.fp32MsPerRow());
        ValidationOutcome.num(x, "ms-per-row", r.timing.msPerRow());
        x.put("bytes", r.timing.bytes());
      }
      if (r.scored != null) {
        ValidationOutcome.putMetrics(x.putObject("metrics"), r.scored.metrics());
        ValidationOutcome.num(x, "objective", objective.value(r.scored.metrics()));
        x.put("passed", r.scored.passed());
        ArrayNode f = x.putArray("failures");
        r.scored.verdict().failures().forEach(f::add);
      } else {
        x.put("passed", false);
      }
    }
    return o;
  }

  private static ObjectNode recipeJson(Recipe r) {
    ObjectNode x = Json.object();
    x.put("family", r.family());
    x.put("mode", r.mode().configName());
    ArrayNode ops = x.putArray("op-types");
    r.opTypes().forEach(ops::add);
    if (r.method() != null) {
      x.put("method", r.method().configName());
    }
    x.put("embeddings-8bit", r.embeddings8bit());
    if (!r.fp32Nodes().isEmpty()) {
      ArrayNode kept = x.putArray("fp32-nodes");
      r.fp32Nodes().forEach(kept::add);
    }
    return x;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  static Recipe recipe(JsonNode x) {
    List<String> ops = strings(x.path("op-types"));
    return new Recipe(
        x.path("family").asText(),
        QuantMode.fromConfig(x.path("mode").asText()),
        ops,
        x.hasNonNull("method") ? CalibrationMethod.fromConfig(x.path("method").asText()) : null,
        x.path("embeddings-8bit").asBoolean(),
        strings(x.path("fp32-nodes")));
  }
}
