package io.hindsight.bench.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Request bodies for an independent load tool (bench/wrk.sh): {@code --bodies} files of {@code
 * --batch} fraud records each, every record with its own time-ordered id, as the project's load
 * generator sends them. The tool cycles through the files, so ids repeat only after all of them.
 */
public final class WrkBodies {
  private WrkBodies() {}

  public static void main(String[] args) throws Exception {
    Flags f = new Flags(args, Set.of("--batch", "--bodies", "--out"), Set.of());
    int batch = f.integer("--batch", 500);
    int bodies = f.integer("--bodies", 50);
    Path out = Files.createDirectories(Path.of(f.string("--out", null)));
    BatchTemplate template = new FraudRecords(42).batch(batch);
    byte[] buf = new byte[template.length()];
    for (int i = 0; i < bodies; i++) {
      template.stamp(buf, IdStyle.ORDERED, System.currentTimeMillis());
      Files.write(out.resolve(String.format("body-%03d.json", i)), buf);
    }
  }
}
