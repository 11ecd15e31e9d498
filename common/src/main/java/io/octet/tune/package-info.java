/**
 * Accuracy-aware tuning: when a model misses its gate, find the cheapest way to pass it — per-node
 * sensitivity, other clipping methods per tensor, SmoothQuant, and returning the fewest, most
 * sensitive nodes to FP32 — evaluating every candidate against FP32 on a tuning sample.
 */
package io.octet.tune;
