/**
 * FP32-versus-INT8 validation: per-row metrics merged exactly across partitions, the gate that
 * decides pass or fail, and latency measured side by side.
 */
package io.octet.validate;
