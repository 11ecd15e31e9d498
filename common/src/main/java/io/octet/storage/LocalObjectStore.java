package io.octet.storage;

import io.octet.error.QuantErrors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** {@link ObjectStore} over the local file system ({@code file:} URIs or plain paths). */
public final class LocalObjectStore implements ObjectStore {

  private static Path path(String uri) {
    return Uris.hasScheme(uri) ? Path.of(URI.create(uri)) : Path.of(uri);
  }

  @Override
  public boolean exists(String uri) {
    return Files.isRegularFile(path(uri));
  }

  @Override
  public byte[] readBytes(String uri) {
    try {
      return Files.readAllBytes(path(uri));
    } catch (NoSuchFileException e) {
      throw QuantErrors.storage(uri, "reading (it does not exist)", e);
    } catch (IOException e) {
      throw QuantErrors.storage(uri, "reading", e);
    }
  }

  @Override
  public InputStream open(String uri) {
    try {
      return Files.newInputStream(path(uri));
    } catch (IOException e) {
      throw QuantErrors.storage(uri, "opening", e);
    }
  }

  @Override
  public void writeBytes(String uri, byte[] data) {
    Path p = path(uri);
    try {
      Files.createDirectories(p.toAbsolutePath().getParent());
      Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp-" + System.nanoTime());
      Files.write(tmp, data);
      Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw QuantErrors.storage(uri, "writing", e);
    }
  }

  @Override
  public boolean createIfAbsent(String uri, byte[] data) {
    Path p = path(uri);
    try {
      Files.createDirectories(p.toAbsolutePath().getParent());
      Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp-" + System.nanoTime());
      Files.write(tmp, data);
      try {
        // A hard link fails if the target exists: an atomic create-if-absent of complete content.
        Files.createLink(p, tmp);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException e) {
        try {
          Files.write(p, data, StandardOpenOption.CREATE_NEW);
          return true;
        } catch (FileAlreadyExistsException e2) {
          return false;
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw QuantErrors.storage(uri, "creating", e);
    }
  }

  @Override
  public void upload(Path local, String uri) {
    Path p = path(uri);
    try {
      Files.createDirectories(p.toAbsolutePath().getParent());
      Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp-" + System.nanoTime());
      Files.copy(local, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw QuantErrors.storage(uri, "uploading", e);
    }
  }

  @Override
  public void download(String uri, Path local) {
    try {
      Files.createDirectories(local.toAbsolutePath().getParent());
      Files.copy(path(uri), local, StandardCopyOption.REPLACE_EXISTING);
    } catch (NoSuchFileException e) {
      throw QuantErrors.storage(uri, "downloading (it does not exist)", e);
    } catch (IOException e) {
      throw QuantErrors.storage(uri, "downloading", e);
    }
  }

  @Override
  public List<String> list(String prefix) {
    Path p = path(prefix);
    if (!Files.isDirectory(p)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(p)) {
      return s.filter(Files::isRegularFile)
          .filter(f -> !f.getFileName().toString().startsWith("."))
          .map(f -> f.toUri().toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public long size(String uri) {
    try {
      return Files.size(path(uri));
    } catch (IOException e) {
      throw QuantErrors.storage(uri, "reading the size of", e);
    }
  }

  @Override
  public void delete(String uri) {
    Path p = path(uri);
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw QuantErrors.storage(uri, "deleting", e);
    }
  }
}
