/**
 * Storage behind one small interface: {@link io.octet.storage.ObjectStore}. The engine never sees a
 * FileSystem API; jobs plug in Hadoop's (file://, s3a://), tests the local one.
 */
package io.octet.storage;
