package io.hindsight.server.lake;

import io.hindsight.server.lake.ParquetFileWriter.EncodedRows;
import io.hindsight.server.lake.ParquetFileWriter.FileColumn;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.wal.RowCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBConnection;

/**
 * Hands rows to DuckDB as Arrow record batches through the C data interface: DuckDB scans them
 * as a view while it writes Parquet, with no staging table between. Each batch is decoded from
 * the log when DuckDB asks for it, so memory holds a few batches whatever the file's rows.
 *
 * <p>Arrow's C data interface wraps native memory in direct buffers, which the JVM allows only
 * with {@code --add-opens java.base/java.nio=ALL-UNNAMED} (set by the launcher and the jar's
 * manifest); {@link #usable} tells whether this JVM has it.
 */
final class ArrowRows implements AutoCloseable {
  /** Rows a batch holds: DuckDB's vector size, so a batch is one chunk of its scan. */
  static final int BATCH_ROWS = 2048;

  private static volatile Boolean usable;

  private final BufferAllocator allocator = new RootAllocator();

  /** Whether this JVM can hand Arrow batches to DuckDB (see the class comment); checked once. */
  static boolean usable() {
    Boolean u = usable;
    if (u == null) {
      try {
        // What the JVM refuses without the opens; asked first, so a refusal leaves no memory behind.
        MemoryUtil.directBuffer(0, 0);
        try (BufferAllocator a = new RootAllocator(); ArrowArrayStream s = ArrowArrayStream.allocateNew(a)) {
          s.release(); // loads the native part too
        }
        u = true;
      } catch (RuntimeException | LinkageError e) {
        u = false;
      }
      usable = u;
    }
    return u;
  }

  /**
   * Registers {@code rows} as the view {@code name} of {@code conn}, its columns {@code cols}
   * (and {@code seqColumn} with each row's log seq, if not null) typed for DuckDB to cast each to
   * its column's SQL type at no cost; a MAP column comes as its JSON text. The view can be scanned
   * once; drop it, then close what this returns.
   */
  Registered register(DuckDBConnection conn, String name, List<FileColumn> cols, String seqColumn, EncodedRows rows) {
    List<Field> fields = new ArrayList<>();
    for (FileColumn c : cols) {
      fields.add(Field.nullable(c.name(), arrowType(c.type())));
    }
    if (seqColumn != null) {
      fields.add(Field.nullable(seqColumn, new ArrowType.Int(64, true)));
    }
    Batches batches = new Batches(allocator, new Schema(fields), cols, seqColumn != null, rows);
    ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator);
    try {
      // The stream owns the batches from here: releasing it closes them.
      Data.exportArrayStream(allocator, batches, stream);
      conn.registerArrowStream(name, stream);
    } catch (RuntimeException e) {
      done(stream);
      throw e;
    }
    // DuckDB keeps a pointer to the stream: it must outlive the scan.
    return () -> done(stream);
  }

  /** Rows registered as a view, kept until closed. */
  interface Registered extends AutoCloseable {
    @Override
    void close();
  }

  /** Releases the stream unless DuckDB did, and frees its struct. */
  private static void done(ArrowArrayStream stream) {
    stream.release();
    stream.close();
  }

  private static ArrowType arrowType(ColumnType type) {
    return switch (type) {
      case BOOLEAN -> ArrowType.Bool.INSTANCE;
      case BIGINT -> new ArrowType.Int(64, true);
      case DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case TIMESTAMP -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
      case STRING, JSON, MEDIA, MAP -> ArrowType.Utf8.INSTANCE;
    };
  }

  /**
   * The rows as batches, each decoded into fresh vectors when DuckDB asks for the next: the log's
   * values go straight into the vectors, strings copied once from the log's bytes.
   */
  private static final class Batches extends ArrowReader implements RowCodec.ValueSink {
    private final Schema schema;
    private final ColumnType[] types;
    private final boolean withSeq;
    private final EncodedRows rows;
    private final RowCodec.KeyIndex keys;
    private FieldVector[] vectors;
    /** The next row to decode, and the row of the batch being filled. */
    private int next;
    private int at;

    Batches(BufferAllocator allocator, Schema schema, List<FileColumn> cols, boolean withSeq, EncodedRows rows) {
      super(allocator);
      this.schema = schema;
      this.types = cols.stream().map(FileColumn::type).toArray(ColumnType[]::new);
      this.withSeq = withSeq;
      this.rows = rows;
      this.keys = ParquetFileWriter.keyIndex(cols);
    }

    @Override
    protected Schema readSchema() {
      return schema;
    }

    @Override
    public boolean loadNextBatch() throws IOException {
      if (next >= rows.size()) {
        return false;
      }
      int n = Math.min(BATCH_ROWS, rows.size() - next);
      VectorSchemaRoot root = getVectorSchemaRoot();
      // New buffers for each batch: DuckDB may still read the ones it was given last. Values not
      // set stay null, as a vector's validity starts cleared.
      root.clear();
      vectors = root.getFieldVectors().toArray(FieldVector[]::new);
      for (FieldVector v : vectors) {
        v.setInitialCapacity(n);
        v.allocateNew();
      }
      for (at = 0; at < n; at++) {
        long ts = rows.decodeTo(next + at, keys, this);
        for (int c = 0; c < types.length; c++) {
          if (types[c] == ColumnType.TIMESTAMP) {
            ((TimeStampMicroTZVector) vectors[c]).set(at, ts);
          }
        }
        if (withSeq) {
          ((BigIntVector) vectors[types.length]).set(at, rows.seq(next + at));
        }
      }
      for (FieldVector v : vectors) {
        v.setValueCount(n);
      }
      root.setRowCount(n);
      next += n;
      return true;
    }

    @Override
    public void utf8(int column, byte[] buf, int offset, int length) {
      switch (types[column]) {
        case STRING, JSON, MEDIA, MAP -> ((VarCharVector) vectors[column]).setSafe(at, buf, offset, length);
        default -> throw new IllegalArgumentException("text for the " + types[column] + " column " + schema.getFields().get(column).getName());
      }
    }

    @Override
    public void int64(int column, long value) {
      switch (types[column]) {
        case BIGINT -> ((BigIntVector) vectors[column]).set(at, value);
        case DOUBLE -> ((Float8Vector) vectors[column]).set(at, value);
        default -> text(column, Long.toString(value));
      }
    }

    @Override
    public void float64(int column, double value) {
      switch (types[column]) {
        case DOUBLE -> ((Float8Vector) vectors[column]).set(at, value);
        case BIGINT -> ((BigIntVector) vectors[column]).set(at, (long) value);
        default -> text(column, Double.toString(value));
      }
    }

    @Override
    public void bool(int column, boolean value) {
      if (types[column] == ColumnType.BOOLEAN) {
        ((BitVector) vectors[column]).set(at, value ? 1 : 0);
      } else {
        text(column, Boolean.toString(value));
      }
    }

    @Override
    public void map(int column, Map<String, String> value) {
      text(column, ParquetFileWriter.mapAsJson(value));
    }

    /** A value as text, for a text column (a map as its JSON). */
    private void text(int column, String value) {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      utf8(column, utf8, 0, utf8.length);
    }

    @Override
    public long bytesRead() {
      return 0;
    }

    @Override
    protected void closeReadSource() {}
  }

  /** Arrow memory held now: none between files. */
  long allocatedBytes() {
    return allocator.getAllocatedMemory();
  }

  @Override
  public void close() {
    allocator.close();
  }
}
