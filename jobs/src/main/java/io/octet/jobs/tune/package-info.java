/** The tuning stage: candidates evaluated in Spark, SmoothQuant statistics and recalibration. */
package io.octet.jobs.tune;
