/**
 * Spark applications over the engine in {@code io.octet}: one entry point, {@link
 * io.octet.jobs.Main}.
 */
package io.octet.jobs;
