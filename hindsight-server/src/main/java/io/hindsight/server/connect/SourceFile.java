package io.hindsight.server.connect;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A data file of an import's source.
 *
 * @param id its path below the source's root, with {@code /}: the file's identity in the import's state
 * @param size bytes
 * @param version what changes when the file is replaced (an S3 ETag, a local modification time)
 * @param partitions the Hive partition values its path names ({@code date=2026-11-01/region=eu/...})
 */
public record SourceFile(String id, long size, String version, Map<String, String> partitions) {
  public SourceFile {
    partitions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(partitions));
  }

  /** A file found at {@code id}, its partitions read from the folders of its path. */
  static SourceFile at(String id, long size, String version) {
    Map<String, String> partitions = new LinkedHashMap<>();
    String[] parts = id.split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0) {
        partitions.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
      }
    }
    return new SourceFile(id, size, version, partitions);
  }

  /** Whether a folder or file of this name is one a Hive-layout reader skips ({@code _temporary}, {@code .crc}). */
  static boolean hidden(String name) {
    return name.startsWith("_") || name.startsWith(".");
  }
}
