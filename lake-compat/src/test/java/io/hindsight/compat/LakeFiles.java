package io.hindsight.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/** The Parquet files of a lake folder as readers see them. */
final class LakeFiles {
  private LakeFiles() {}

  /** The data files below {@code dir}: {@code .parquet}, neither hidden nor in a hidden folder. */
  static List<Path> dataFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      // Hidden files and folders (a write in progress, the metric store's links) are no reader's.
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")
              && java.util.stream.StreamSupport.stream(dir.relativize(p).spliterator(), false)
                  .noneMatch(part -> part.toString().startsWith(".")))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  /** The Parquet physical types {@code column} has across the data files below {@code dir}. */
  static Set<String> physicalTypes(Path dir, String column) throws IOException {
    Set<String> types = new TreeSet<>();
    for (Path f : dataFiles(dir)) {
      try (ParquetFileReader reader = ParquetFileReader.open(
          HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))) {
        types.add(reader.getFileMetaData().getSchema().getType(column).asPrimitiveType()
            .getPrimitiveTypeName().name());
      } catch (IOException e) {
        if (Files.exists(f)) {
          throw e;
        }
        // Compaction replaced the file while we looked; the next look sees its successor.
      }
    }
    return types;
  }

  /** Copies the data files below {@code from} to the same places below {@code to}. */
  static void copyTree(Path from, Path to) throws IOException {
    for (Path f : dataFiles(from)) {
      Path target = to.resolve(from.relativize(f).toString());
      Files.createDirectories(target.getParent());
      Files.copy(f, target);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
