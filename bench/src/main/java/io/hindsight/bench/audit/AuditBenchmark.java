package io.hindsight.bench.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.audit.AuditTrails;
import io.hindsight.server.audit.AuditVerifier;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code proofs --leaves N --dir DIR}: writes an audit log of N leaves straight into its on-disk
 * form (level files of subtree hashes, as the server keeps them), then times inclusion proofs of
 * random leaves and consistency proofs through the same call the HTTP API makes, and deletes the
 * files. {@code verify --data-dir DIR}: times {@code audit verify} over a data folder.
 */
public final class AuditBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    Map<String, String> flags = new java.util.HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      flags.put(args[i], args[i + 1]);
    }
    switch (args.length == 0 ? "" : args[0]) {
      case "proofs" -> proofs(Long.parseLong(flags.getOrDefault("--leaves", "100000000")),
          Path.of(flags.getOrDefault("--dir", "target/audit-bench")), Integer.parseInt(flags.getOrDefault("--proofs", "20000")));
      case "verify" -> verify(Path.of(flags.get("--data-dir")));
      default -> throw new IllegalArgumentException("usage: AuditBenchmark proofs [--leaves N] [--dir DIR] [--proofs N] | verify --data-dir DIR");
    }
  }

  static void proofs(long leaves, Path dir, int proofs) throws Exception {
    Path hashes = dir.resolve("audit/logs/bench/hashes");
    Files.createDirectories(hashes);
    long start = System.nanoTime();
    writeTree(hashes, leaves);
    System.out.printf("wrote a log of %,d leaves in %.1f s (%,d MB on disk)%n", leaves, (System.nanoTime() - start) / 1e9,
        diskBytes(hashes) >> 20);
    try (AuditTrails trails = new AuditTrails(dir.resolve("audit"), Map.of(), JSON)) {
      SplittableRandom random = new SplittableRandom(7);
      long[] inclusion = new long[proofs];
      for (int i = 0; i < proofs; i++) {
        long leaf = random.nextLong(leaves);
        long t = System.nanoTime();
        Map<String, Object> p = trails.proof("bench", leaf, leaves);
        inclusion[i] = System.nanoTime() - t;
        if (((List<?>) p.get("inclusion_path")).isEmpty()) {
          throw new AssertionError("empty path");
        }
      }
      report("inclusion proof (leaf_hash, root, path)", inclusion);
      long[] consistency = new long[Math.max(1, proofs / 10)];
      for (int i = 0; i < consistency.length; i++) {
        long first = 1 + random.nextLong(leaves - 1);
        long t = System.nanoTime();
        trails.consistency("bench", first, leaves);
        consistency[i] = System.nanoTime() - t;
      }
      report("consistency proof", consistency);
    } finally {
      deleteTree(dir);
    }
  }

  /** Streams N random leaf hashes into level 0 and every complete subtree's hash into the levels above. */
  private static void writeTree(Path dir, long leaves) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    List<OutputStream> levels = new ArrayList<>();
    List<byte[]> pendingLeft = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(42);
    byte[] leaf = new byte[32];
    try {
      for (long i = 0; i < leaves; i++) {
        for (int b = 0; b < 32; b += 8) {
          long r = random.nextLong();
          for (int k = 0; k < 8; k++) {
            leaf[b + k] = (byte) (r >>> (8 * k));
          }
        }
        byte[] h = leaf.clone();
        long index = i;
        for (int l = 0; ; l++) {
          if (levels.size() == l) {
            levels.add(new BufferedOutputStream(Files.newOutputStream(dir.resolve(String.format("level-%02d", l))), 1 << 20));
            pendingLeft.add(null);
          }
          levels.get(l).write(h);
          if ((index & 1) == 0) {
            pendingLeft.set(l, h);
            break;
          }
          sha.update((byte) 1);
          sha.update(pendingLeft.get(l));
          sha.update(h);
          h = sha.digest();
          index >>= 1;
        }
      }
    } finally {
      for (OutputStream o : levels) {
        o.close();
      }
    }
    Files.writeString(dir.resolve("size"), Long.toString(leaves), StandardCharsets.US_ASCII);
  }

  static void verify(Path dataDir) throws Exception {
    long t = System.nanoTime();
    AuditVerifier.Report r = new AuditVerifier(dataDir.toAbsolutePath(), JSON).verify(null);
    double s = (System.nanoTime() - t) / 1e9;
    r.lines().forEach(System.out::println);
    long records = 0;
    for (String line : r.lines()) {
      if (line.startsWith("OK ")) {
        records += Long.parseLong(line.split(" ")[2]);
      }
    }
    System.out.printf("verify: %,d records in %.1f s = %,.0f records/s (%s)%n", records, s, records / s, r.ok() ? "OK" : "FAILED");
  }

  private static void report(String what, long[] nanos) {
    Arrays.sort(nanos);
    System.out.printf("%s: n=%d median %.3f ms, p99 %.3f ms, max %.3f ms%n", what, nanos.length,
        nanos[nanos.length / 2] / 1e6, nanos[(int) (nanos.length * 0.99)] / 1e6, nanos[nanos.length - 1] / 1e6);
  }

  private static long diskBytes(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
