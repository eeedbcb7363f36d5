package io.hindsight.server.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.files.FileSync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an import has done, kept in one file written whole after every acknowledged batch: per
 * source file the rows done (stored, rejected or behind the cutoff) and whether it is finished;
 * the watermark; and, while a run is under way, the cutoff it took, so a run resumed after a crash
 * decides every row as the first attempt did and resends a batch with the same key and body.
 * Thread-safe: a run reads it on one thread and writes it on another.
 */
public final class ImportState {
  private final Path file;
  private Long watermarkMicros;
  private Long runCutoffMicros;
  private boolean runUnderWay;
  private final Map<String, FileProgress> files = new TreeMap<>();

  /** A source file's progress: the rows done, in file order; finished once every row is. */
  record FileProgress(long rowsDone, boolean finished, String version) {}

  private ImportState(Path file) {
    this.file = file;
  }

  /** The state kept in {@code file}, or a new one when there is none yet. */
  public static ImportState load(Path file, ObjectMapper json) throws IOException {
    ImportState s = new ImportState(file);
    if (!Files.exists(file)) {
      return s;
    }
    JsonNode o = json.readTree(file.toFile());
    s.watermarkMicros = o.hasNonNull("watermark_us") ? o.get("watermark_us").asLong() : null;
    s.runUnderWay = o.path("run_under_way").asBoolean();
    s.runCutoffMicros = o.hasNonNull("run_cutoff_us") ? o.get("run_cutoff_us").asLong() : null;
    o.path("files").fields().forEachRemaining(e -> s.files.put(e.getKey(), new FileProgress(
        e.getValue().path("rows_done").asLong(), e.getValue().path("finished").asBoolean(),
        e.getValue().path("version").asText(null))));
    return s;
  }

  synchronized void save(ObjectMapper json) throws IOException {
    ObjectNode o = json.createObjectNode();
    o.put("watermark_us", watermarkMicros);
    o.put("run_under_way", runUnderWay);
    o.put("run_cutoff_us", runCutoffMicros);
    ObjectNode f = o.putObject("files");
    files.forEach((id, p) -> f.putObject(id).put("rows_done", p.rowsDone()).put("finished", p.finished())
        .put("version", p.version()));
    FileSync.createDirectoriesDurably(file.toAbsolutePath().getParent());
    FileSync.writeAtomically(file, json.writeValueAsBytes(o));
  }

  /** The largest watermark value imported, in µs since the epoch; null before any. */
  public synchronized Long watermarkMicros() {
    return watermarkMicros;
  }

  synchronized void watermark(Long micros) {
    if (micros != null && (watermarkMicros == null || micros > watermarkMicros)) {
      watermarkMicros = micros;
    }
  }

  /**
   * Starts a run, or resumes the one a crash interrupted: returns the cutoff the run decides rows
   * by (null: none is late).
   */
  synchronized Long beginRun(Long cutoffIfNew) {
    if (!runUnderWay) {
      runUnderWay = true;
      runCutoffMicros = cutoffIfNew;
    }
    return runCutoffMicros;
  }

  synchronized void endRun() {
    runUnderWay = false;
    runCutoffMicros = null;
  }

  synchronized FileProgress progress(String id) {
    return files.get(id);
  }

  synchronized void progress(String id, long rowsDone, boolean finished, String version) {
    files.put(id, new FileProgress(rowsDone, finished, version));
  }
}
