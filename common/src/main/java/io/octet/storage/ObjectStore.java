package io.octet.storage;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The storage operations Octet needs, over URIs ({@code file:///...}, {@code s3a://bucket/...}).
 *
 * <p>Object stores have no atomic rename, so nothing here offers one: publishing relies on
 * immutable prefixes and a manifest created last with {@link #createIfAbsent}.
 */
public interface ObjectStore {
  /**
   * Whether an object (file) exists.
   *
   * @param uri the object
   * @return true if it exists
   */
  boolean exists(String uri);

  /**
   * Reads a whole (small) object.
   *
   * @param uri the object
   * @return its bytes
   * @throws io.octet.error.QuantException of kind STORAGE when missing or unreadable
   */
  byte[] readBytes(String uri);

  /**
   * Opens an object for streaming.
   *
   * @param uri the object
   * @return a stream the caller must close
   */
  InputStream open(String uri);

  /**
   * Writes an object, replacing any existing one.
   *
   * @param uri the object
   * @param data the bytes
   */
  void writeBytes(String uri, byte[] data);

  /**
   * Creates an object only if none exists (conditional create where the store supports it).
   *
   * @param uri the object
   * @param data the bytes
   * @return true if created, false if an object was already there
   */
  boolean createIfAbsent(String uri, byte[] data);

  /**
   * Copies a local file to an object.
   *
   * @param local the file
   * @param uri the destination
   */
  void upload(Path local, String uri);

  /**
   * Copies an object to a local file (parent directories created).
   *
   * @param uri the object
   * @param local the destination file
   */
  void download(String uri, Path local);

  /**
   * Lists the objects under a prefix (recursively), as full URIs, sorted.
   *
   * @param prefix a directory-like URI
   * @return the objects; empty when the prefix does not exist
   */
  List<String> list(String prefix);

  /**
   * Returns an object's size.
   *
   * @param uri the object
   * @return bytes
   */
  long size(String uri);

  /**
   * Deletes an object or a prefix (recursively); no error when absent.
   *
   * @param uri the object or prefix
   */
  void delete(String uri);
}
