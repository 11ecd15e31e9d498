/** Datasets as model inputs: Parquet columns bound to model inputs, rows decoded without boxing. */
package io.octet.jobs.data;
