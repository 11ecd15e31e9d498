/** The calibrate stage: distributed activation statistics, merged exactly. */
package io.octet.jobs.calibrate;
