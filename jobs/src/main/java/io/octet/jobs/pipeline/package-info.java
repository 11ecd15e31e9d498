/** The per-model stage pipeline over a registry: skip check, stages, publish, run summary. */
package io.octet.jobs.pipeline;
