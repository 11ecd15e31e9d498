/**
 * Memory budgets: how much an executor JVM may hold, how much of it inference batches may use, and
 * how big a calibration batch (or how many tensor groups) fits in it. Pure arithmetic and JVM-wide
 * accounting; the Spark jobs derive the budget from Spark's settings.
 */
package io.octet.memory;
