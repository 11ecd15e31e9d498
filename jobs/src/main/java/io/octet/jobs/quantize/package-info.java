/** The quantize stage: one Spark task per model. */
package io.octet.jobs.quantize;
