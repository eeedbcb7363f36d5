package io.hindsight.server.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.files.Folders;
import io.hindsight.server.jobs.JobContext;
import io.hindsight.server.jobs.JobKind;
import io.hindsight.server.jobs.Jobs;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.S3Settings;
import io.hindsight.server.objects.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code POST /v1/backups}: a consistent copy of the data folder into a local folder while the
 * server runs, as a tracked job. For the instant of the snapshot the server holds its writes (no
 * lake file written or merged, no log entry being committed); every file is then hard-linked,
 * which takes milliseconds, and ingest goes on while the links are copied. The copy holds every
 * record acknowledged before the backup started: in the lake or in the write-ahead log, which the
 * restored server replays. {@code BACKUP.json}, written last, marks a backup as complete. The
 * destination is a local folder or an {@code s3://bucket/prefix} of the configured store (each file
 * one object, written whole).
 */
public final class Backups {
  public static final String JOB = "backup";
  public static final String MANIFEST = "BACKUP.json";

  /** How the server holds its writes still for the instant of a snapshot. */
  @FunctionalInterface
  public interface Writes {
    <T> T heldStill(Callable<T> action) throws Exception;
  }

  private final Path dataDir;
  private final Writes writes;
  private final Jobs jobs;
  private final ObjectMapper json;
  private final Clock clock;
  private final S3Settings s3;

  /** @param s3 the store {@code s3://} destinations are written to */
  public Backups(Path dataDir, Writes writes, Jobs jobs, ObjectMapper json, Clock clock, S3Settings s3) {
    this.s3 = s3;
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.writes = writes;
    this.jobs = jobs;
    this.json = json;
    this.clock = clock;
    jobs.register(new JobKind(JOB, false, this::run));
  }

  /** Checks the destination and queues the backup; returns the job's id. */
  public String start(String to) throws IOException {
    if (to == null || to.isBlank()) {
      throw new ApiException(
          400, "say where the backup goes: {\"to\": \"/absolute/folder\"} or {\"to\": \"s3://bucket/prefix\"} (missing or empty)");
    }
    String checked = S3Location.isS3(to) ? s3Destination(to).toString() : destination(to).toString();
    return jobs.submit(JOB, json.createObjectNode().put("to", checked));
  }

  private S3Location s3Destination(String to) throws IOException {
    S3Location dest;
    try {
      dest = S3Location.parse(to);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, e.getMessage());
    }
    try (ObjectStore store = ObjectStore.open(s3)) {
      if (!store.list(dest).isEmpty()) {
        throw new ApiException(409, "the backup prefix " + dest + " is not empty; name a new or empty prefix");
      }
    }
    return dest;
  }

  private Path destination(String to) throws IOException {
    Path dest = Path.of(to);
    if (!dest.isAbsolute()) {
      throw new ApiException(400, "'to' must be an absolute folder path on the server, not '" + to + "'");
    }
    dest = dest.normalize();
    if (dest.startsWith(dataDir) || dataDir.startsWith(dest)) {
      throw new ApiException(400, "the backup folder '" + dest + "' must be outside the data folder " + dataDir + " and not contain it");
    }
    if (Files.exists(dest) && !Files.isDirectory(dest)) {
      throw new ApiException(400, "'" + dest + "' exists and is not a folder");
    }
    if (holdsAnything(dest)) {
      throw new ApiException(409, "the backup folder '" + dest + "' is not empty; name a new or empty folder");
    }
    return dest;
  }

  private void run(JobContext ctx) throws Exception {
    String to = ctx.params().path("to").asText(null);
    boolean toS3 = S3Location.isS3(to);
    Path staging = dataDir.resolve("tmp").resolve("backup-" + ctx.id());
    Files.createDirectories(staging);
    try {
      Set<Path> ownJobFile = Set.of(dataDir.resolve("jobs").resolve(ctx.id() + ".json"));
      List<Snapshot.Entry> entries = writes.heldStill(() -> Snapshot.link(dataDir, staging, ownJobFile));
      long total = entries.stream().mapToLong(Snapshot.Entry::bytes).sum();
      long copied = 0;
      ObjectNode manifest = json.createObjectNode();
      manifest.put("created_at", clock.instant().toString());
      manifest.put("files", entries.size());
      manifest.put("bytes", total);
      byte[] manifestBytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest);
      if (toS3) {
        S3Location dest = s3Destination(to);
        try (ObjectStore store = ObjectStore.open(s3)) {
          Path upload = staging.resolve(".upload");
          for (Snapshot.Entry e : entries) {
            // The object is the file as it was at the snapshot: its first bytes, taken aside.
            copyPrefix(staging.resolve(e.path()), upload, e.bytes());
            store.upload(upload, dest.resolve(e.path()));
            copied += e.bytes();
            counted(ctx, e, copied, total);
          }
          Files.write(upload, manifestBytes);
          store.upload(upload, dest.resolve(MANIFEST));
        }
      } else {
        Path dest = destination(to);
        for (Snapshot.Entry e : entries) {
          copyPrefix(staging.resolve(e.path()), dest.resolve(e.path()), e.bytes());
          copied += e.bytes();
          counted(ctx, e, copied, total);
        }
        FileSync.writeAtomically(dest.resolve(MANIFEST), manifestBytes);
      }
    } finally {
      Folders.deleteRecursively(staging);
    }
  }

  private static void counted(JobContext ctx, Snapshot.Entry e, long copied, long total) throws IOException {
    ctx.count("files", 1);
    ctx.count("bytes", e.bytes());
    ctx.progress(total == 0 ? 1 : (double) copied / total);
  }

  /** Copies the first {@code bytes} of {@code from} into {@code to}, synced; the rest grew after the snapshot. */
  private static void copyPrefix(Path from, Path to, long bytes) throws IOException {
    FileSync.createDirectoriesDurably(to.getParent());
    try (InputStream in = Files.newInputStream(from);
        OutputStream out = Files.newOutputStream(to)) {
      byte[] buf = new byte[1 << 16];
      long left = bytes;
      while (left > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          throw new IOException(from + " is shorter than when the snapshot was taken");
        }
        out.write(buf, 0, n);
        left -= n;
      }
    }
    if (Files.getFileStore(to).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
      Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from)); // the signing key stays owner-only
    }
    FileSync.fsync(to);
  }

  /**
   * {@code hindsight restore}: copies a complete backup into {@code dataDir}, which must be missing
   * or empty (the server stopped); the server's next start replays the log it holds. Returns the
   * backup's manifest.
   */
  public static JsonNode restore(Path from, Path dataDir, ObjectMapper json) throws IOException {
    emptyOrMissing(dataDir);
    Path manifest = from.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      throw new IOException(from + " holds no complete backup (" + MANIFEST + " is missing: the backup did not finish)");
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(from)) {
      s.filter(Files::isRegularFile).filter(f -> !f.equals(manifest)).forEach(files::add);
    }
    for (Path f : files) {
      Path target = dataDir.resolve(from.relativize(f).toString());
      copyPrefix(f, target, Files.size(f));
    }
    return json.readTree(manifest.toFile());
  }

  /** {@link #restore(Path, Path, ObjectMapper)} from a backup on an S3-compatible store. */
  public static JsonNode restore(S3Location from, ObjectStore store, Path dataDir, ObjectMapper json) throws IOException {
    emptyOrMissing(dataDir);
    List<StoredObject> objects = store.list(from);
    S3Location manifestAt = from.resolve(MANIFEST);
    StoredObject manifest =
        objects.stream()
            .filter(o -> o.location().equals(manifestAt))
            .findFirst()
            .orElseThrow(() -> new IOException(from + " holds no complete backup (" + MANIFEST + " is missing: the backup did not finish)"));
    for (StoredObject o : objects) {
      if (o != manifest) {
        store.download(o.location(), dataDir.resolve(from.relativeKey(o.location().key())));
      }
    }
    try (InputStream in = store.read(manifestAt, 0, manifest.size())) {
      return json.readTree(in);
    }
  }

  private static void emptyOrMissing(Path dataDir) throws IOException {
    if (holdsAnything(dataDir)) {
      throw new IOException("the data folder " + dataDir + " is not empty; restore into a new or empty folder");
    }
  }

  /** Whether {@code dir} exists and has something in it. */
  private static boolean holdsAnything(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    }
  }
}
