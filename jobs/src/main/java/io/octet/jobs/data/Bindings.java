package io.octet.jobs.data;

import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.octet.config.InputBinding;
import io.octet.data.ElemType;
import io.octet.error.QuantErrors;
import io.octet.onnx.OnnxModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Resolves a model's input bindings from the registry against the model's declared inputs. */
public final class Bindings {
  private Bindings() {}

  /**
   * A model input as the model declares it.
   *
   * @param name the input name
   * @param type its element type
   * @param rowShape dims after the batch dimension, -1 where symbolic
   */
  public record ModelInput(String name, ElemType type, long[] rowShape) {}

  /**
   * Reads the model's real inputs (graph inputs that are not initializers).
   *
   * @param model the model
   * @return inputs in declaration order
   */
  public static List<ModelInput> inputs(OnnxModel model) {
    Set<String> inits = new HashSet<>();
    model.proto().getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
    List<ModelInput> out = new ArrayList<>();
    for (ValueInfoProto v : model.proto().getGraph().getInputList()) {
      if (inits.contains(v.getName())) {
        continue;
      }
      ElemType type;
      try {
        type = ElemType.fromOnnx(v.getType().getTensorType().getElemType());
      } catch (IllegalArgumentException e) {
        throw QuantErrors.unsupported(
            model.name(),
            "input '" + v.getName() + "' has an element type Octet cannot feed",
            "Octet feeds float, double, int64, int32, int8, uint8 and bool inputs.");
      }
      List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
      long[] row = new long[Math.max(0, dims.size() - 1)];
      for (int i = 1; i < dims.size(); i++) {
        row[i - 1] = dims.get(i).hasDimValue() ? dims.get(i).getDimValue() : -1;
      }
      out.add(new ModelInput(v.getName(), type, row));
    }
    return out;
  }

  /**
   * Resolves the bindings: configured ones are checked against the model; when none are configured,
   * each input binds to the column of the same name.
   *
   * @param model the model
   * @param configured bindings from the registry (may be empty)
   * @return one binding per model input
   */
  public static List<InputBinding> resolve(OnnxModel model, List<InputBinding> configured) {
    List<ModelInput> inputs = inputs(model);
    Map<String, InputBinding> byInput = new LinkedHashMap<>();
    for (InputBinding b : configured) {
      byInput.put(b.input(), b);
    }
    List<InputBinding> out = new ArrayList<>();
    for (ModelInput in : inputs) {
      InputBinding b = byInput.remove(in.name());
      if (b == null) {
        if (!configured.isEmpty()) {
          throw QuantErrors.badConfig(
              model.name(), "inputs", "model input '" + in.name() + "' has no binding", null);
        }
        long symbolic = Arrays.stream(in.rowShape()).filter(d -> d < 0).count();
        if (symbolic > 1) {
          throw QuantErrors.badConfig(
              model.name(),
              "inputs",
              "input '"
                  + in.name()
                  + "' has "
                  + symbolic
                  + " variable dims "
                  + Arrays.toString(in.rowShape())
                  + "; give its per-row shape in the registry's inputs (one -1 at most)",
              null);
        }
        b = new InputBinding(in.name(), in.name(), in.type(), in.rowShape());
      }
      if (b.dtype() != in.type()) {
        throw QuantErrors.badConfig(
            model.name(),
            "inputs",
            "input '"
                + in.name()
                + "' is bound as "
                + b.dtype().configName()
                + " but the model"
                + " expects "
                + in.type().configName(),
            null);
      }
      long[] s = b.shape();
      if (s.length != in.rowShape().length) {
        throw QuantErrors.badConfig(
            model.name(),
            "inputs",
            "input '"
                + in.name()
                + "' is bound with shape "
                + Arrays.toString(s)
                + " but the model expects rank "
                + in.rowShape().length
                + " per row "
                + Arrays.toString(in.rowShape()),
            null);
      }
      for (int i = 0; i < s.length; i++) {
        if (s[i] > 0 && in.rowShape()[i] > 0 && s[i] != in.rowShape()[i]) {
          throw QuantErrors.badConfig(
              model.name(),
              "inputs",
              "input '"
                  + in.name()
                  + "' is bound with shape "
                  + Arrays.toString(s)
                  + " but the model declares "
                  + Arrays.toString(in.rowShape()),
              null);
        }
      }
      out.add(b);
    }
    if (!byInput.isEmpty()) {
      throw QuantErrors.badConfig(
          model.name(),
          "inputs",
          "bindings name inputs the model does not have: "
              + byInput.keySet()
              + " (model inputs: "
              + inputs.stream().map(ModelInput::name).toList()
              + ")",
          null);
    }
    return out;
  }
}
