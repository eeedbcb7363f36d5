package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The frame check that tells a whole Parquet file from one cut short or overwritten. */
class DamagedFilesTest {
  @TempDir Path dir;
  private Path file;

  @BeforeEach
  void writeAParquetFile() throws Exception {
    file = dir.resolve("part-00000000000000000009-a.parquet");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("COPY (SELECT range AS x, 'row ' || range AS s FROM range(1000)) TO '" + file + "' (FORMAT parquet)");
    }
  }

  @Test
  void aWholeFileIsIntact() throws Exception {
    assertThat(DamagedFiles.damage(file)).isNull();
  }

  @Test
  void aFileCutShortAnywhereIsDamaged() throws Exception {
    long size = Files.size(file);
    for (long cut : new long[] {size - 1, size / 2, 100, 11, 0}) {
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(cut);
      }
      assertThat(DamagedFiles.damage(file)).as("cut to %d bytes", cut).isNotNull();
    }
  }

  @Test
  void aFileOverwrittenAtItsStartOrFooterLengthIsDamaged() throws Exception {
    byte[] whole = Files.readAllBytes(file);
    byte[] head = whole.clone();
    head[0] = 'X';
    Files.write(file, head);
    assertThat(DamagedFiles.damage(file)).contains("does not start as a Parquet file");

    byte[] footer = whole.clone();
    footer[footer.length - 5] = 0x7f; // the high byte of the footer's length: far beyond the file
    Files.write(file, footer);
    assertThat(DamagedFiles.damage(file)).contains("footer length");
  }
}
