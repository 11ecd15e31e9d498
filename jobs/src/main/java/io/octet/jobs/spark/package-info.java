/** Spark and Hadoop plumbing: sessions, the Hadoop-backed object store, per-JVM model sessions. */
package io.octet.jobs.spark;
