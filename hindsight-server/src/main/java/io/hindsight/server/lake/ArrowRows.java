package io.hindsight.server.lake;

import io.hindsight.server.lake.ParquetFileWriter.EncodedRows;
import io.hindsight.server.lake.ParquetFileWriter.FileColumn;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.JsonText;
import io.hindsight.server.wal.RowCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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

  /** The rows as batches, each decoded into fresh vectors when DuckDB asks for the next. */
  private static final class Batches extends ArrowReader {
    private final Schema schema;
    private final List<FileColumn> cols;
    private final boolean withSeq;
    private final EncodedRows rows;
    private final RowCodec.KeyIndex keys;
    private final Object[] slots;
    private int next;

    Batches(BufferAllocator allocator, Schema schema, List<FileColumn> cols, boolean withSeq, EncodedRows rows) {
      super(allocator);
      this.schema = schema;
      this.cols = cols;
      this.withSeq = withSeq;
      this.rows = rows;
      this.keys = ParquetFileWriter.keyIndex(cols);
      this.slots = new Object[cols.size()];
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
      // New buffers for each batch: DuckDB may still read the ones it was given last.
      root.clear();
      for (FieldVector v : root.getFieldVectors()) {
        v.setInitialCapacity(n);
        v.allocateNew();
      }
      List<FieldVector> vectors = root.getFieldVectors();
      for (int i = 0; i < n; i++) {
        int r = next + i;
        Arrays.fill(slots, null);
        long ts = rows.decodeInto(r, keys, slots);
        for (int c = 0; c < slots.length; c++) {
          set(vectors.get(c), cols.get(c).type(), i, slots[c], ts);
        }
        if (withSeq) {
          ((BigIntVector) vectors.get(slots.length)).set(i, rows.seq(r));
        }
      }
      for (FieldVector v : vectors) {
        v.setValueCount(n);
      }
      root.setRowCount(n);
      next += n;
      return true;
    }

    /** Unset values stay null: a vector's validity starts cleared. */
    @SuppressWarnings("unchecked")
    private static void set(FieldVector vector, ColumnType type, int i, Object v, long ts) {
      if (type == ColumnType.TIMESTAMP) {
        ((TimeStampMicroTZVector) vector).set(i, ts);
        return;
      }
      if (v == null) {
        return;
      }
      switch (type) {
        case BOOLEAN -> ((BitVector) vector).set(i, (Boolean) v ? 1 : 0);
        case BIGINT -> ((BigIntVector) vector).set(i, ((Number) v).longValue());
        case DOUBLE -> ((Float8Vector) vector).set(i, ((Number) v).doubleValue());
        case STRING, JSON, MEDIA -> ((VarCharVector) vector).setSafe(i, utf8(v));
        case MAP -> ((VarCharVector) vector).setSafe(i, ParquetFileWriter.mapAsJson((Map<String, String>) v).getBytes(StandardCharsets.UTF_8));
        default -> throw new IllegalArgumentException("unexpected column type " + type);
      }
    }

    private static byte[] utf8(Object v) {
      if (v instanceof byte[] b) {
        return b; // UTF-8 straight from the log
      }
      return (v instanceof JsonText j ? j.json() : v.toString()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public long bytesRead() {
      return 0;
    }

    @Override
    protected void closeReadSource() {}
  }

  @Override
  public void close() {
    allocator.close();
  }
}
