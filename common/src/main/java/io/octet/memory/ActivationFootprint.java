package io.octet.memory;

import io.octet.error.QuantErrors;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Estimates the native memory a calibration batch needs: every calibrated tensor the augmented
 * model returns lives until the batch's results are closed, so a batch needs the sum of their sizes
 * plus ONNX Runtime's working memory for the intermediates it does not return.
 *
 * <p>Shapes come from running the calibration model on one row of each of two sizes (the driver's
 * probe): a dimension that differs between the two runs grows in proportion to the row's largest
 * input dimension (the sequence length of a text encoder, so attention scores count {@code L × L}),
 * the others are fixed. ONNX Runtime's static shape inference cannot do this: it loses every shape
 * after a Reshape whose target is computed at run time, as in every exported transformer. {@link
 * #observe} keeps, per tensor, the largest ratio of measured to estimated size, so a shape that
 * grows some other way is corrected by the first batch that shows it.
 *
 * <p>Not thread-safe: one instance per task.
 */
public final class ActivationFootprint implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * ONNX Runtime's working memory for the intermediates a batch does not return, in units of the
   * largest calibrated tensor: a few tensors of that size are alive at once (residual stream,
   * attention scores, feed-forward activations). Measured with bge-small-en-v1.5 returning 50 of
   * its tensors, 32 rows of 128 tokens, arena off: about 200 MB beyond the returned tensors and the
   * plain session, 8 times the largest tensor. Checked end to end by MemoryBudgetIT and
   * bench/memory.
   */
  public static final int WORK_FACTOR = 8;

  /**
   * The most tensor groups a model is split into: each costs one more pass of inference over the
   * calibration data and one more copy of the model in staging; beyond this, the budget is too
   * small for the model to be worth calibrating under it.
   */
  public static final int MAX_GROUPS = 16;

  /**
   * A calibrated tensor's shape per row, as a function of the row's largest input dimension.
   *
   * @param name the tensor
   * @param dims its dims for one row whose largest input dimension is {@code baseDim}
   * @param scales which dims grow with the input dimension
   * @param baseDim the input dimension {@code dims} were measured at
   * @param elemBytes bytes per element
   */
  public record TensorShape(String name, long[] dims, boolean[] scales, long baseDim, int elemBytes)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Validates and copies. */
    public TensorShape {
      if (name == null || dims == null || scales == null || dims.length != scales.length) {
        throw new IllegalArgumentException("a tensor shape needs a name and one flag per dim");
      }
      if (baseDim < 1 || elemBytes < 1) {
        throw new IllegalArgumentException("baseDim and elemBytes must be >= 1");
      }
      dims = dims.clone();
      scales = scales.clone();
    }

    /**
     * Builds a shape from one row measured at two input dimensions.
     *
     * @param name the tensor
     * @param small its dims at the smaller input dimension
     * @param smallDim the smaller input dimension
     * @param large its dims at the larger input dimension (null when every row has one size)
     * @param largeDim the larger input dimension
     * @param elemBytes bytes per element
     * @return the shape
     */
    public static TensorShape fromProbes(
        String name, long[] small, long smallDim, long[] large, long largeDim, int elemBytes) {
      if (large == null) {
        return new TensorShape(name, small, new boolean[small.length], smallDim, elemBytes);
      }
      boolean[] scales = new boolean[large.length];
      for (int k = 0; k < large.length; k++) {
        // A rank that changed with the input (rare): every dim above 1 is taken to grow.
        scales[k] = small.length != large.length ? large[k] > 1 : small[k] != large[k];
      }
      return new TensorShape(name, large, scales, largeDim, elemBytes);
    }

    /**
     * Returns the bytes of one row at an input dimension.
     *
     * @param d the row's largest input dimension
     * @return bytes
     */
    public double rowBytes(long d) {
      double n = elemBytes;
      for (int k = 0; k < dims.length; k++) {
        n *= scales[k] ? Math.ceil((double) dims[k] * d / baseDim) : dims[k];
      }
      return n;
    }

    @Override
    public long[] dims() {
      return dims.clone();
    }

    @Override
    public boolean[] scales() {
      return scales.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorShape t
          && t.name.equals(name)
          && Arrays.equals(t.dims, dims)
          && Arrays.equals(t.scales, scales)
          && t.baseDim == baseDim
          && t.elemBytes == elemBytes;
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
      return name + Arrays.toString(dims) + "@" + baseDim;
    }
  }

  private final List<TensorShape> tensors;
  private final Map<String, Integer> index = new LinkedHashMap<>();
  private final double[] correction;

  /**
   * Creates a footprint.
   *
   * @param tensors the calibrated tensors, in the order the augmented model returns them
   */
  public ActivationFootprint(List<TensorShape> tensors) {
    this.tensors = List.copyOf(tensors);
    this.correction = new double[tensors.size()];
    Arrays.fill(correction, 1.0);
    for (int i = 0; i < this.tensors.size(); i++) {
      index.put(this.tensors.get(i).name(), i);
    }
  }

  /**
   * Returns a copy with no measurements (each task starts from the driver's estimate).
   *
   * @return a fresh footprint
   */
  public ActivationFootprint fresh() {
    return new ActivationFootprint(tensors);
  }

  /**
   * Returns the row's largest input dimension, which stands for every symbolic non-batch dimension.
   *
   * @param rowShapes the per-row shapes of the row's inputs
   * @return the largest dimension, at least 1
   */
  public static long dynamicDim(Collection<long[]> rowShapes) {
    long d = 1;
    for (long[] s : rowShapes) {
      for (long x : s) {
        d = Math.max(d, x);
      }
    }
    return d;
  }

  private long estimate(int i, long d) {
    return (long) Math.ceil(tensors.get(i).rowBytes(d) * correction[i]);
  }

  /**
   * Returns the estimated bytes one row of a tensor takes.
   *
   * @param tensor the tensor's name
   * @param d the row's {@link #dynamicDim}
   * @return bytes
   */
  public long tensorRowBytes(String tensor, long d) {
    return estimate(require(tensor), d);
  }

  /**
   * Returns the estimated bytes one row needs when the given tensors are returned: their sizes plus
   * the working memory (which the whole graph needs, whichever tensors are returned).
   *
   * @param returned the tensors the session returns
   * @param d the row's {@link #dynamicDim}
   * @return bytes
   */
  public long rowBytes(Collection<String> returned, long d) {
    long sum = 0;
    for (String t : returned) {
      sum += estimate(require(t), d);
    }
    return sum + workBytes(d);
  }

  /**
   * Returns the estimated bytes one row needs with every tensor returned.
   *
   * @param d the row's {@link #dynamicDim}
   * @return bytes
   */
  public long rowBytes(long d) {
    return rowBytes(index.keySet(), d);
  }

  private long workBytes(long d) {
    return tensors.isEmpty() ? 0 : WORK_FACTOR * estimate(largest(d), d);
  }

  private int largest(long d) {
    int best = 0;
    for (int i = 1; i < tensors.size(); i++) {
      if (estimate(i, d) > estimate(best, d)) {
        best = i;
      }
    }
    return best;
  }

  /**
   * Records what ONNX Runtime returned for a tensor, so later estimates are never below it.
   *
   * @param tensor the tensor
   * @param bytesPerRow measured bytes per row
   * @param d the batch's {@link #dynamicDim}
   */
  public void observe(String tensor, long bytesPerRow, long d) {
    int i = require(tensor);
    double uncorrected = estimate(i, d) / correction[i];
    if (uncorrected > 0 && bytesPerRow > 0) {
      correction[i] = Math.max(correction[i], bytesPerRow / uncorrected);
    }
  }

  /**
   * Returns how many rows of a shape fit a batch share.
   *
   * @param returned the tensors the session returns
   * @param d the rows' {@link #dynamicDim}
   * @param shareBytes what one batch may use
   * @param maxRows the configured batch size
   * @return rows in [1, maxRows], or 0 when not even one row fits
   */
  public int rowsPerBatch(Collection<String> returned, long d, long shareBytes, int maxRows) {
    long row = Math.max(1, rowBytes(returned, d));
    return (int) Math.min(maxRows, shareBytes / row);
  }

  /**
   * Splits the tensors into groups, in order, so that one row of each group fits a batch share.
   * Each group is served by its own calibration session over the same rows, so every group costs
   * one more inference pass.
   *
   * @param model the model's name, for the error
   * @param d the largest {@link #dynamicDim} of the data
   * @param shareBytes what one batch may use
   * @param budget the budget's description, for the error
   * @return the groups (one group holding every tensor when one row of all fits)
   */
  public List<List<String>> groups(String model, long d, long shareBytes, String budget) {
    long work = workBytes(d);
    List<List<String>> out = new ArrayList<>();
    List<String> current = new ArrayList<>();
    long bytes = work;
    for (int i = 0; i < tensors.size(); i++) {
      long t = estimate(i, d);
      String name = tensors.get(i).name();
      if (t + work > shareBytes) {
        throw QuantErrors.overBudget(
            model,
            "one row at input dimension "
                + d
                + " of the calibrated tensor '"
                + name
                + "' ("
                + QuantErrors.bytes(t)
                + ") with ONNX Runtime's working memory ("
                + WORK_FACTOR
                + " × the largest tensor, '"
                + tensors.get(largest(d)).name()
                + "')",
            t + work,
            budget + "; one batch may use " + QuantErrors.bytes(shareBytes));
      }
      if (!current.isEmpty() && bytes + t > shareBytes) {
        out.add(current);
        current = new ArrayList<>();
        bytes = work;
      }
      current.add(name);
      bytes += t;
    }
    if (!current.isEmpty()) {
      out.add(current);
    }
    if (out.size() > MAX_GROUPS) {
      throw QuantErrors.overBudget(
          model,
          "one row at input dimension "
              + d
              + " of its "
              + tensors.size()
              + " calibrated tensors, split into at most "
              + MAX_GROUPS
              + " groups (one pass over the data each; this budget would need "
              + out.size()
              + ")",
          rowBytes(d),
          budget + "; one batch may use " + QuantErrors.bytes(shareBytes));
    }
    return out;
  }

  /**
   * Returns the tensors' names in order.
   *
   * @return names
   */
  public List<String> names() {
    return List.copyOf(index.keySet());
  }

  private int require(String tensor) {
    Integer i = index.get(tensor);
    if (i == null) {
      throw new IllegalArgumentException("not a calibrated tensor: " + tensor);
    }
    return i;
  }
}
