/**
 * One-machine drivers over the engine: calibrate, quantize and validate a model from rows held in
 * memory or streamed from disk, with no Spark. The Spark jobs call the same pieces per partition.
 */
package io.octet.engine;
