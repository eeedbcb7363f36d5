package io.hindsight.server.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A plain socket to the server, for clients no HTTP library would be: slow, stalled, never done. */
final class RawConnection implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  RawConnection(int port, int readTimeoutMillis) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(readTimeoutMillis);
    out = socket.getOutputStream();
    in = socket.getInputStream();
  }

  /** Sends text; false once the server has closed the connection. */
  boolean send(String text) {
    try {
      out.write(text.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return true;
    } catch (IOException closed) {
      return false;
    }
  }

  /** Everything the server sends until it closes the connection or the read timeout passes. */
  String readAll() throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        got.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      // what arrived so far
    } catch (IOException reset) {
      // closed by the server
    }
    return got.toString(StandardCharsets.UTF_8);
  }

  /** Whether the server closed the connection before the read timeout. */
  boolean closedByServer() {
    try {
      byte[] buf = new byte[4096];
      while (in.read(buf) >= 0) {
        // drain whatever the server answered before closing
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  /** The status code of an answer read by {@link #readAll()}, or -1 for none. */
  static int status(String response) {
    return response.startsWith("HTTP/1.1 ") ? Integer.parseInt(response.substring(9, 12)) : -1;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
