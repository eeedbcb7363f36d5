package io.hindsight.server.query;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * The pipe between the server and a query worker process: frames of a 4-byte big-endian length
 * followed by that many bytes of JSON.
 *
 * <p>Server to worker, one {@link Request} per query. Worker to server: {@code {"ready": true}}
 * once its database is open, then per query {@code {"columns": [{"name", "type"}]}}, any number of
 * {@code {"rows": [[...], ...]}} batches, and {@code {"end": {"truncated": bool}}}; or
 * {@code {"error": "message"}} at any point of a query. Values are those of {@link ResultValues}.
 */
final class WorkerChannel {
  /** A corrupt length must not make either side allocate gigabytes. */
  private static final int MAX_FRAME_BYTES = 64 << 20;

  /** Writes frames and reads requests: whole numbers as longs, as the HTTP layer hands params over. */
  static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);

  /** Reads replies: DECIMAL values keep their digits and scale; the column type decides (see QueryWorker). */
  static final ObjectMapper EXACT_JSON =
      new ObjectMapper()
          .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  /**
   * One query for a worker.
   *
   * @param views view definitions to apply first, when the worker's are older; else null
   * @param before statements to run before this query (the rows not yet in the lake it reads)
   * @param sql the statement, already checked by {@link SqlGuard}
   * @param params values for its {@code ?} placeholders
   * @param limit rows to return at most; one more is read to tell whether the result was truncated
   */
  record Request(List<String> views, List<String> before, String sql, List<Object> params, int limit) {}

  private final DataInputStream in;
  private final DataOutputStream out;

  WorkerChannel(InputStream in, OutputStream out) {
    this.in = new DataInputStream(new BufferedInputStream(in, 1 << 16));
    this.out = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
  }

  /** The next frame, or null when the other side closed the pipe between frames. */
  byte[] read() throws IOException {
    int length;
    try {
      length = in.readInt();
    } catch (EOFException closed) {
      return null;
    }
    if (length < 0 || length > MAX_FRAME_BYTES) {
      throw new IOException("corrupt frame length " + length + " on the query worker pipe");
    }
    byte[] frame = new byte[length];
    in.readFully(frame);
    return frame;
  }

  void write(byte[] frame) throws IOException {
    out.writeInt(frame.length);
    out.write(frame);
    out.flush();
  }
}
