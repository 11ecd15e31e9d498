/**
 * Exact, order-free streaming histograms of float32 activations.
 *
 * <p>{@link io.octet.histogram.HistogramAccumulator} streams values in; {@link
 * io.octet.histogram.Histogram} is its immutable, canonical snapshot. Bins are integer counts on a
 * power-of-two grid anchored at zero, so any two histograms re-bin onto a common grid exactly (2:1
 * coarsening of aligned bins loses nothing). The level of the grid is a pure function of the exact
 * minimum and maximum of the data, hence the canonical histogram of a multiset of values is the
 * same whatever the number of partitions, their order, or the shape of the merge tree. This is what
 * lets Spark calibrate in one inference pass with constant memory and bit-identical results.
 */
package io.octet.histogram;
