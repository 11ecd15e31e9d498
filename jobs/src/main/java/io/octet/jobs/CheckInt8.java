package io.octet.jobs;

import io.octet.cpu.Int8Check;
import io.octet.cpu.KernelPairing;
import io.octet.cpu.Target;
import io.octet.error.QuantException;
import io.octet.jobs.cli.Args;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.util.Json;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code check-int8}: reads any INT8 ONNX model and reports, from its weights alone, which integer
 * MatMul/Gemm/Conv nodes can saturate on which target. Exit 0 when none can on {@code --target}
 * (default portable: every CPU), 1 when some can or an integer node reading an 8-bit weight could
 * not be checked, 2 when the model cannot be read.
 */
final class CheckInt8 {
  private CheckInt8() {}

  static int run(Args a, PrintStream out) {
    String file = a.require("model");
    Target target = Target.PORTABLE;
    if (a.options().containsKey("target")) {
      try {
        target = Target.fromConfig(a.options().get("target"));
      } catch (IllegalArgumentException e) {
        throw new Args.UsageException("--target: " + e.getMessage());
      }
    }
    OnnxModel model;
    try {
      Path p = file.startsWith("file:") ? Path.of(java.net.URI.create(file)) : Path.of(file);
      model = OnnxModelIO.read(p);
    } catch (QuantException e) {
      throw new Args.UsageException(e.getMessage());
    }
    Int8Check.Result r = Int8Check.check(model);
    if (a.switches().contains("json")) {
      out.println(Json.string(json(r, target)));
    } else {
      out.print(r.toText(target));
    }
    return r.safeOn(target) ? 0 : 1;
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode json(
      Int8Check.Result r, Target target) {
    var root = Json.object();
    root.put("model", r.model());
    root.put("target", target.configName());
    root.put("pair-bound", KernelPairing.PAIR_BOUND);
    root.put("saturable", !r.saturable(target).isEmpty());
    root.put("safe", r.safeOn(target));
    var nodes = root.putArray("nodes");
    for (Int8Check.NodeFinding n : r.nodes()) {
      var o = nodes.addObject();
      o.put("node", n.node());
      o.put("op", n.opType());
      o.put("weight", n.weight());
      o.put("type", n.dataType());
      var shape = o.putArray("shape");
      n.shape().forEach(shape::add);
      o.put("pairs", n.pairs());
      o.put("saturable-pairs", n.saturablePairs());
      o.put("worst-pair-sum", n.worstPairSum());
      o.put("arm64-wrap-pairs", n.arm64WrapPairs());
      var on = o.putArray("saturates-on");
      for (Target t : Target.values()) {
        if (n.saturatesOn(t)) {
          on.add(t.configName());
        }
      }
    }
    var skipped = root.putArray("not-checked");
    r.skipped().forEach(skipped::add);
    return root;
  }
}
