package io.hindsight.server.retention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The highest row seq of each partition whose files were deleted on purpose. A data file's name
 * tells start-up recovery which logged rows the lake already holds; once a partition's files are
 * gone, this mark does, so rows still in the write-ahead log are not replayed back into the lake
 * (and the log never hands out those seqs again). Written whole before any file is deleted.
 */
final class DeletionMarks {
  private final Path file;
  private final ObjectMapper json;
  private final Map<Partition, Long> marks = new HashMap<>();

  DeletionMarks(Path file, ObjectMapper json) throws IOException {
    this.file = file;
    this.json = json;
    if (Files.exists(file)) {
      for (JsonNode m : json.readTree(file.toFile())) {
        String date = m.path("date").asText(null);
        Partition p =
            new Partition(
                Table.valueOf(m.get("table").asText().toUpperCase(Locale.ROOT)),
                m.get("endpoint").asText(),
                date == null ? null : LocalDate.parse(date));
        marks.merge(p, m.get("seq").asLong(), Math::max);
      }
    }
  }

  synchronized Map<Partition, Long> all() {
    return Map.copyOf(marks);
  }

  /** Remembers that rows of {@code p} up to {@code seq} were deleted; durable when this returns. */
  synchronized void record(Partition p, long seq) throws IOException {
    if (marks.getOrDefault(p, -1L) >= seq) {
      return;
    }
    marks.put(p, seq);
    ArrayNode out = json.createArrayNode();
    marks.forEach(
        (partition, s) -> {
          var o = out.addObject();
          o.put("table", partition.table().dirName());
          o.put("endpoint", partition.endpoint());
          o.put("date", partition.date() == null ? null : partition.date().toString());
          o.put("seq", s);
        });
    FileSync.writeAtomically(file, json.writeValueAsBytes(out));
  }
}
