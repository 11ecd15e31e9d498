/** Command-line parsing for bin/octet and spark-submit. */
package io.octet.jobs.cli;
