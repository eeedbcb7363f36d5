package io.hindsight.server.lake;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the lake is kept of record: the local folder itself ({@link #LOCAL}), or an object store
 * holding the same layout under a prefix ({@link S3LakeStore}), with the local folder as the
 * working copy and query cache. Files are named by their path relative to the lake root, with
 * {@code /} separators ({@code predictions/endpoint=e/date=2026-11-30/part-….parquet}).
 */
public interface LakeStore extends Closeable {
  /** The lake is the local folder alone: nothing to copy anywhere. */
  LakeStore LOCAL = new LakeStore() {
    @Override
    public boolean remote() {
      return false;
    }

    @Override
    public void put(String file, Path content) {}

    @Override
    public void delete(String file) {}

    @Override
    public Map<String, Stored> list() {
      return Map.of();
    }

    @Override
    public Map<String, Stored> list(String folder) {
      return Map.of();
    }

    @Override
    public Map<String, Stored> notes(String folder) {
      return Map.of();
    }

    @Override
    public void get(String file, Path target) {}

    @Override
    public String describe() {
      return "the local folder";
    }

    @Override
    public void close() {}
  };

  /** A file the store holds: its size and a tag that changes when it is replaced. */
  record Stored(long size, String tag) {}

  /** Whether the store is somewhere else than the local folder. */
  boolean remote();

  /** Stores {@code content} as {@code file}, whole: readers see the old version or the new one. */
  void put(String file, Path content) throws IOException;

  /** Removes {@code file}; removing one that is not there is no error. */
  void delete(String file) throws IOException;

  /** Every data file of the lake's tables the store holds, by name. */
  Map<String, Stored> list() throws IOException;

  /** The data files the store holds in {@code folder} (a partition's, as {@link #list} names them), by name. */
  Map<String, Stored> list(String folder) throws IOException;

  /**
   * Every object in {@code folder}, which holds no data files: notes kept beside the tables (a
   * merge's journal, the catalog of schemas) that no reader of the lake lists.
   */
  Map<String, Stored> notes(String folder) throws IOException;

  /** Copies {@code file} to {@code target}, which appears whole. */
  void get(String file, Path target) throws IOException;

  /** Where the store is, for messages ({@code s3://bucket/prefix}). */
  String describe();

  /** Releases the store's connections. */
  @Override
  void close();
}
