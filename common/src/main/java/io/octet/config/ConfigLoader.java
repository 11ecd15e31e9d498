package io.octet.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.octet.data.ElemType;
import io.octet.error.QuantErrors;
import io.octet.error.QuantException;
import io.octet.quant.QuantOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads a registry: parses the HOCON file, applies overrides, refuses unknown keys and wrong types
 * (naming the key, the model and the file), and builds the records.
 *
 * <p>Precedence, highest first: {@code --set key=value}, system properties {@code
 * -Doctet.<key>=value}, environment variables {@code OCTET__<KEY>} ({@code __} for '.', {@code _}
 * for '-'), the registry file, then {@code reference.conf}. An override of a quantization,
 * calibration or validation key applies to every model.
 */
public final class ConfigLoader {
  private static final Set<String> TOP_LEVEL =
      Set.of("warehouse", "run", "spark", "hadoop", "defaults", "models");
  private static final Set<String> MODEL_SECTIONS =
      Set.of("quantization", "calibration", "validation", "tuning");
  private static final Set<String> FREE_MAPS = Set.of("spark", "hadoop");
  private static final Set<String> OVERRIDE_KEYS =
      Set.of("method", "percentile", "range", "symmetric", "activation-type");
  private static final Set<String> INPUT_KEYS = Set.of("name", "column", "dtype", "shape");

  private ConfigLoader() {}

  /**
   * Loads a registry from text, with the process's environment and system properties.
   *
   * @param text the registry's HOCON text
   * @param source where it came from (file or URI), named in every error
   * @param sets {@code key=value} overrides from the command line
   * @return the registry
   * @throws QuantException of kind BAD_CONFIG naming the file and key on any mistake
   */
  public static RegistryConfig load(String text, String source, List<String> sets) {
    return load(text, source, sets, System.getenv(), System.getProperties());
  }

  /**
   * Loads a registry from text.
   *
   * @param text the registry's HOCON text
   * @param source where it came from, named in every error
   * @param sets {@code key=value} overrides from the command line
   * @param env environment variables (OCTET__* are read)
   * @param props system properties (octet.* are read)
   * @return the registry
   */
  public static RegistryConfig load(
      String text, String source, List<String> sets, Map<String, String> env, Properties props) {
    Config file = parse(text, source);
    Overrides ov = new Overrides(source);
    env.entrySet().stream()
        .filter(e -> e.getKey().startsWith("OCTET__"))
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> ov.add(envKey(e.getKey()), e.getValue(), "environment variable " + e.getKey()));
    new TreeMap<>(props)
        .forEach(
            (k, v) -> {
              String key = String.valueOf(k);
              if (key.startsWith("octet.")) {
                ov.add(key.substring("octet.".length()), String.valueOf(v), "-D" + key);
              }
            });
    for (String s : sets) {
      int eq = s.indexOf('=');
      if (eq <= 0) {
        throw QuantErrors.badConfig(source, s, "--set needs key=value, got '" + s + "'", null);
      }
      ov.add(s.substring(0, eq).trim(), s.substring(eq + 1).trim(), "--set " + s);
    }

    Config reference = ConfigFactory.defaultReference().getConfig("octet");
    Config registry = ov.registryLevel.withFallback(file);
    checkTopLevel(registry.root(), reference, source);
    Config top = registry.withFallback(reference);
    try {
      top.checkValid(reference, "warehouse", "run");
    } catch (ConfigException.ValidationFailed e) {
      throw typeError(source, e);
    }
    RunConfig run = section(source, "run", () -> RunConfig.fromConfig(top.getConfig("run")));
    Map<String, String> spark = flatStrings(top, "spark", source);
    Map<String, String> hadoop = flatStrings(top, "hadoop", source);

    Config schema = modelSchema(reference);
    Config defaults =
        registry.hasPath("defaults") ? registry.getConfig("defaults") : ConfigFactory.empty();
    checkModelKeys(defaults.root(), schema, "defaults", source, true);
    checkModelKeys(ov.modelLevel.root(), schema, "(override)", source, true);
    Map<String, ModelConfig> models = new LinkedHashMap<>();
    if (registry.hasPath("models")) {
      ConfigValue mv = registry.root().get("models");
      if (mv.valueType() != ConfigValueType.OBJECT) {
        throw QuantErrors.badConfig(
            source, "models", "must be an object of model entries keyed by name", null);
      }
      for (String name : new java.util.TreeSet<>(((ConfigObject) mv).keySet())) {
        ConfigValue entry = ((ConfigObject) mv).get(name);
        String path = "models." + ConfigUtil.joinPath(name);
        if (entry.valueType() != ConfigValueType.OBJECT) {
          throw QuantErrors.badConfig(source, path, "a model entry must be an object", null);
        }
        Config entryConfig = ((ConfigObject) entry).toConfig();
        checkModelKeys(entryConfig.root(), schema, path, source, false);
        Config own = ov.modelLevel.withFallback(entryConfig);
        Config merged =
            explicitRecipe(own, own.withFallback(defaults), schema).withFallback(schema);
        models.put(name, model(name, merged, schema, source, path));
      }
    }
    if (models.isEmpty()) {
      throw QuantErrors.badConfig(
          source,
          "models",
          "the registry lists no models: add at least one under models { }",
          null);
    }
    return new RegistryConfig(source, top.getString("warehouse"), run, spark, hadoop, models);
  }

  private static Config parse(String text, String source) {
    try {
      return ConfigFactory.parseString(
              text,
              ConfigParseOptions.defaults()
                  .setOriginDescription(source)
                  .setSyntax(ConfigSyntax.CONF))
          .resolve();
    } catch (ConfigException e) {
      throw QuantErrors.badConfig(source, "(file)", "not valid HOCON: " + e.getMessage(), e);
    }
  }

  /** Keys that name one static recipe: a registry that sets one of them chose its recipe. */
  static final List<String> RECIPE_KEYS =
      List.of("quantization.method", "quantization.op-types", "quantization.percentile");

  /**
   * Explicit per-model settings win over auto mode: settings that name a static recipe (method,
   * op-types, percentile) without a mode give mode static, as before auto mode was the default; an
   * explicit quantize-embeddings holds for every auto candidate (auto does not try the other
   * value).
   *
   * @param own what the model's entry and the overrides set (no defaults block)
   * @param user the same over the registry's defaults block (no reference defaults)
   * @param schema the defaults
   * @return the user's settings, completed
   */
  static Config explicitRecipe(Config own, Config user, Config schema) {
    boolean auto =
        user.hasPath("quantization.mode")
            ? "auto".equals(String.valueOf(user.getValue("quantization.mode").unwrapped()))
            : "auto".equals(schema.getString("quantization.mode"));
    if (!auto) {
      return user;
    }
    Config out = user;
    // A recipe key the model sets itself beats a mode = auto that only the defaults block sets; a
    // recipe key in the defaults block beats the reference's auto.
    boolean recipeOwn = RECIPE_KEYS.stream().anyMatch(own::hasPath);
    boolean recipeAny = RECIPE_KEYS.stream().anyMatch(user::hasPath);
    if ((recipeOwn && !own.hasPath("quantization.mode"))
        || (recipeAny && !user.hasPath("quantization.mode"))) {
      out = out.withValue("quantization.mode", ConfigValueFactory.fromAnyRef("static"));
    } else if (user.hasPath("quantization.quantize-embeddings")
        && !user.hasPath("quantization.auto.embeddings")) {
      out = out.withValue("quantization.auto.embeddings", ConfigValueFactory.fromAnyRef(false));
    }
    return out;
  }

  /** The schema of one model entry: the model keys plus its three sections. */
  static Config modelSchema(Config reference) {
    Config s = reference.getConfig("model");
    for (String sec : MODEL_SECTIONS) {
      s = s.withValue(sec, reference.getValue(sec));
    }
    return s;
  }

  private static ModelConfig model(
      String name, Config merged, Config schema, String source, String path) {
    try {
      merged.checkValid(schema);
    } catch (ConfigException.ValidationFailed e) {
      throw typeError(source, e);
    }
    if (merged.getIsNull("uri")) {
      throw QuantErrors.badConfig(
          source,
          path + ".uri",
          "model '" + name + "' has no uri: set it to the FP32 .onnx file",
          null);
    }
    QuantOptions q =
        section(
            source,
            path + ".quantization",
            () -> QuantOptions.fromConfig(merged.getConfig("quantization")));
    CalibrationConfig cal =
        section(
            source,
            path + ".calibration",
            () -> CalibrationConfig.fromConfig(merged.getConfig("calibration")));
    io.octet.tune.TuningOptions tuning =
        section(
            source,
            path + ".tuning",
            () -> io.octet.tune.TuningOptions.fromConfig(merged.getConfig("tuning")));
    ValidationConfig validation =
        section(
            source,
            path + ".validation",
            () -> ValidationConfig.fromConfig(merged.getConfig("validation")));
    ValidationConfig val =
        q.mode() == io.octet.quant.QuantMode.AUTO
            ? validation.withGate(
                section(
                        source,
                        path + ".quantization.auto",
                        () ->
                            io.octet.tune.AutoOptions.fromConfig(
                                merged.getConfig("quantization.auto")))
                    .gateFor(validation.gate(), !merged.getIsNull("label-column")))
            : validation;
    if (q.mode().needsCalibration() && cal.dataset() == null) {
      throw QuantErrors.badConfig(
          source,
          path + ".calibration.dataset",
          "model '"
              + name
              + "' uses mode "
              + q.mode().configName()
              + ", which needs calibration data",
          null);
    }
    if (val.dataset() == null) {
      throw QuantErrors.badConfig(
          source,
          path + ".validation.dataset",
          "model '"
              + name
              + "' has no validation dataset: every model is validated before publishing",
          null);
    }
    List<InputBinding> inputs = new ArrayList<>();
    List<? extends ConfigObject> list = merged.getObjectList("inputs");
    for (int i = 0; i < list.size(); i++) {
      Config in = list.get(i).toConfig();
      String ip = path + ".inputs[" + i + "]";
      inputs.add(section(source, ip, () -> binding(in)));
    }
    String version = section(source, path + ".version", () -> merged.getString("version"));
    return section(
        source,
        path,
        () ->
            new ModelConfig(
                name,
                version,
                merged.getString("uri"),
                inputs,
                merged.getIsNull("label-column") ? null : merged.getString("label-column"),
                merged.getIsNull("id-column") ? null : merged.getString("id-column"),
                q,
                cal,
                val,
                tuning,
                merged));
  }

  private static InputBinding binding(Config in) {
    String name = in.getString("name");
    List<Long> shape = in.hasPath("shape") ? in.getLongList("shape") : List.of(-1L);
    return new InputBinding(
        name,
        in.hasPath("column") ? in.getString("column") : name,
        in.hasPath("dtype") ? ElemType.fromConfig(in.getString("dtype")) : ElemType.FLOAT,
        shape.stream().mapToLong(Long::longValue).toArray());
  }

  private static void checkTopLevel(ConfigObject user, Config reference, String source) {
    for (String k : user.keySet()) {
      if (!TOP_LEVEL.contains(k)) {
        String hint =
            MODEL_SECTIONS.contains(k)
                ? " (model settings go under defaults { } or models.<name> { })"
                : suggestion(k, TOP_LEVEL);
        throw QuantErrors.badConfig(source, k, "unknown key" + hint, null);
      }
    }
    if (user.containsKey("run")) {
      checkKeys(user.get("run"), reference.getValue("run"), "run", source);
    }
  }

  private static void checkModelKeys(
      ConfigObject user, Config schema, String path, String source, boolean sectionsOnly) {
    for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
      String k = e.getKey();
      String p = path + "." + ConfigUtil.joinPath(k);
      boolean known = sectionsOnly ? MODEL_SECTIONS.contains(k) : schema.root().containsKey(k);
      if (!known) {
        throw QuantErrors.badConfig(
            source, p, "unknown key" + suggestion(k, schema.root().keySet()), null);
      }
      if (k.equals("inputs")) {
        checkInputs(e.getValue(), p, source);
      } else if (MODEL_SECTIONS.contains(k)) {
        checkKeys(e.getValue(), schema.getValue(k), p, source);
      }
    }
  }

  private static void checkInputs(ConfigValue v, String path, String source) {
    if (v.valueType() != ConfigValueType.LIST) {
      throw QuantErrors.badConfig(
          source, path, "must be a list of { name, column, dtype, shape }", null);
    }
    int i = 0;
    for (ConfigValue item : (com.typesafe.config.ConfigList) v) {
      String p = path + "[" + i++ + "]";
      if (item.valueType() != ConfigValueType.OBJECT) {
        throw QuantErrors.badConfig(
            source, p, "must be an object { name, column, dtype, shape }", null);
      }
      for (String k : ((ConfigObject) item).keySet()) {
        if (!INPUT_KEYS.contains(k)) {
          throw QuantErrors.badConfig(
              source, p + "." + k, "unknown key" + suggestion(k, INPUT_KEYS), null);
        }
      }
      if (!((ConfigObject) item).containsKey("name")) {
        throw QuantErrors.badConfig(source, p + ".name", "every input binding needs a name", null);
      }
    }
  }

  /** Refuses keys of user that the schema does not have, recursively. */
  private static void checkKeys(ConfigValue user, ConfigValue schema, String path, String source) {
    if (user.valueType() != ConfigValueType.OBJECT
        || schema.valueType() != ConfigValueType.OBJECT) {
      return; // type mismatches are reported by checkValid with the expected type
    }
    ConfigObject u = (ConfigObject) user;
    ConfigObject s = (ConfigObject) schema;
    boolean overrides = path.endsWith(".tensor-overrides") || path.endsWith("\"tensor-overrides\"");
    for (Map.Entry<String, ConfigValue> e : u.entrySet()) {
      String p = path + "." + ConfigUtil.joinPath(e.getKey());
      if (overrides) {
        if (e.getValue().valueType() != ConfigValueType.OBJECT) {
          throw QuantErrors.badConfig(source, p, "a tensor override must be an object", null);
        }
        for (String k : ((ConfigObject) e.getValue()).keySet()) {
          if (!OVERRIDE_KEYS.contains(k)) {
            throw QuantErrors.badConfig(
                source, p + "." + k, "unknown key" + suggestion(k, OVERRIDE_KEYS), null);
          }
        }
        continue;
      }
      if (!s.containsKey(e.getKey())) {
        throw QuantErrors.badConfig(
            source, p, "unknown key" + suggestion(e.getKey(), s.keySet()), null);
      }
      if (!FREE_MAPS.contains(e.getKey())) {
        checkKeys(e.getValue(), s.get(e.getKey()), p, source);
      }
    }
  }

  private static QuantException typeError(String source, ConfigException.ValidationFailed e) {
    ConfigException.ValidationProblem first = e.problems().iterator().next();
    String override = overrideOrigin(first.origin());
    if (override != null) {
      return QuantErrors.badConfig(override, first.path(), first.problem(), e);
    }
    String where =
        first.origin() != null && first.origin().lineNumber() > 0
            ? " (line " + first.origin().lineNumber() + ")"
            : "";
    return QuantErrors.badConfig(source, first.path(), first.problem() + where, e);
  }

  /**
   * The override a value came from ({@code --set k=v}, {@code OCTET__...}, {@code -Doctet.k=v}), or
   * null when it came from a file.
   */
  static String overrideOrigin(com.typesafe.config.ConfigOrigin origin) {
    if (origin == null) {
      return null;
    }
    String d = origin.description();
    for (String prefix : List.of("--set ", "environment variable ", "-Doctet.")) {
      if (d.startsWith(prefix)) {
        int line = d.lastIndexOf(": ");
        return line > 0 && d.substring(line + 2).matches("\\d+") ? d.substring(0, line) : d;
      }
    }
    return null;
  }

  /** Runs a record constructor, turning its validation errors into config errors at a key. */
  private static <T> T section(String source, String path, java.util.function.Supplier<T> f) {
    try {
      return f.get();
    } catch (QuantException e) {
      throw e;
    } catch (ConfigException e) {
      // Typesafe says "<key> has type X rather than Y": name the full key path.
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("([\\w.\"-]+) has type").matcher(e.getMessage());
      String key = m.find() ? path + "." + m.group(1) : path;
      String override = overrideOrigin(e.origin());
      String message = e.getMessage();
      if (override != null && e.origin() != null) {
        // Typesafe prefixes its message with the origin ("String: 1: "); the file names it now.
        String prefix = e.origin().description() + ": ";
        message = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
      }
      throw QuantErrors.badConfig(override != null ? override : source, key, message, e);
    } catch (IllegalArgumentException e) {
      throw QuantErrors.badConfig(source, path, e.getMessage(), e);
    }
  }

  private static Map<String, String> flatStrings(Config top, String key, String source) {
    Map<String, String> out = new TreeMap<>();
    if (!top.hasPath(key)) {
      return out;
    }
    ConfigValue v = top.root().get(key);
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw QuantErrors.badConfig(source, key, "must be an object of settings", null);
    }
    for (Map.Entry<String, ConfigValue> e : top.getConfig(key).entrySet()) {
      // Keys like "fs.s3a.endpoint" may be written quoted or as nested paths; both flatten here.
      String k = String.join(".", ConfigUtil.splitPath(e.getKey()));
      out.put(k, String.valueOf(e.getValue().unwrapped()));
    }
    return out;
  }

  static String envKey(String env) {
    String k = env.substring("OCTET__".length());
    return java.util.Arrays.stream(k.split("__"))
        .map(s -> s.toLowerCase(Locale.ROOT).replace('_', '-'))
        .reduce((a, b) -> a + "." + b)
        .orElse("");
  }

  private static String suggestion(String key, java.util.Collection<String> known) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(key, k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best != null && bestD <= Math.max(2, key.length() / 3)
        ? " (did you mean '" + best + "'?)"
        : " (known keys: " + new java.util.TreeSet<>(known) + ")";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** Overrides split by level: registry-wide keys, and keys applied to every model. */
  private static final class Overrides {
    private final String source;
    Config registryLevel = ConfigFactory.empty();
    Config modelLevel = ConfigFactory.empty();

    Overrides(String source) {
      this.source = source;
    }

    void add(String key, String raw, String origin) {
      ConfigValue value;
      // The value's origin is the override itself, so that a value that fails validation is
      // reported against "--set key=value" (or the variable), not the registry file.
      try {
        value =
            ConfigFactory.parseString(
                    "v = " + raw, ConfigParseOptions.defaults().setOriginDescription(origin))
                .getValue("v");
      } catch (ConfigException e) {
        value = com.typesafe.config.ConfigValueFactory.fromAnyRef(raw, origin);
      }
      String first;
      try {
        first = ConfigUtil.splitPath(key).get(0);
      } catch (ConfigException e) {
        throw QuantErrors.badConfig(source, key, "not a valid key path (from " + origin + ")", e);
      }
      if (MODEL_SECTIONS.contains(first)) {
        modelLevel = ConfigFactory.empty().withValue(key, value).withFallback(modelLevel);
      } else {
        registryLevel = ConfigFactory.empty().withValue(key, value).withFallback(registryLevel);
      }
    }
  }
}
