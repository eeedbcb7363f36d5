package io.hindsight;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;

/**
 * Small stand-ins for the Hindsight server, on random loopback ports: a receiver that stores what
 * it gets (deduplicating by Idempotency-Key like the real server), a server that answers 503 with
 * Retry-After, and one that accepts connections and never answers.
 */
final class Fakes {
  private Fakes() {}

  /** Polls a condition until it holds or the timeout passes; no fixed sleeps in tests. */
  static boolean await(Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return condition.getAsBoolean();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private static final ObjectMapper SMILE =
      new ObjectMapper(
          SmileFactory.builder()
              .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
              .build());
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A Smile body as JSON text, read by Jackson as the server reads it; the fakes then treat both alike. */
  static byte[] smileAsJson(byte[] smile) throws IOException {
    return JSON.writeValueAsBytes(SMILE.readTree(smile));
  }

  /** A batch's records as JSON text, whichever format it was written in. */
  static String jsonOf(Batch b) throws IOException {
    byte[] body = gunzip(b.gzippedBody);
    return new String(b.format == BodyFormat.SMILE ? smileAsJson(body) : body, StandardCharsets.UTF_8);
  }

  static byte[] gunzip(byte[] body) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      return in.readAllBytes();
    }
  }

  /** One request as the receiver saw it. */
  static final class Request {
    final String path;
    final Map<String, List<String>> headers;
    final byte[] rawBody;
    final byte[] body;

    Request(String path, Map<String, List<String>> headers, byte[] rawBody, byte[] body) {
      this.path = path;
      this.headers = headers;
      this.rawBody = rawBody;
      this.body = body;
    }

    String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** What a receiver stores; survives a restart of the receiver, like the real server's log. */
  static final class Store {
    final Map<String, String> answers = new ConcurrentHashMap<>();
    final List<Map<String, Object>> predictions = new CopyOnWriteArrayList<>();
    final List<Map<String, Object>> feedback = new CopyOnWriteArrayList<>();
    final List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger duplicates = new AtomicInteger();

    List<String> predictionIds() {
      List<String> ids = new ArrayList<>();
      for (Map<String, Object> p : predictions) {
        ids.add((String) p.get("prediction_id"));
      }
      return ids;
    }
  }

  /**
   * Accepts batches like the real server: 200 with {@code {"accepted": n, "rejected": [...]}}, a
   * repeated Idempotency-Key gets the first answer and stores nothing. Records whose data has a key
   * named {@code reject_me} are rejected individually.
   */
  static final class Receiver implements AutoCloseable {
    final Store store;
    final HttpServer server;
    volatile int forcedStatus;
    /**
     * Refuse bodies as a whole the way the server did before oversized records became per-record
     * rejections: 413 for a gzip body expanding more than 200 times (past 1 MiB), 400 for a string
     * longer than Jackson's 20,000,000 characters; a record over 1 MiB is rejected on its own.
     */
    volatile boolean wholeBodyLimits;
    /** The longest string {@link #wholeBodyLimits} lets through: Jackson's default. */
    volatile int maxStringChars = 20_000_000;
    /** Refuse with 413 any request whose body holds a record with a data key named {@code poison}. */
    volatile boolean refusePoison;
    /** Answer 415 to a Smile body, as a server from before Smile bodies does. */
    volatile boolean refuseSmile;
    /** Requests that are stored and then answered 503, as if the answer were lost. */
    final AtomicInteger loseAnswers = new AtomicInteger();

    Receiver() throws IOException {
      this(new Store(), 0);
    }

    Receiver(Store store, int port) throws IOException {
      this.store = store;
      this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
      server.createContext("/", this::handle);
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    String url() {
      return "http://127.0.0.1:" + port();
    }

    private void handle(HttpExchange ex) throws IOException {
      try (ex) {
        byte[] raw = ex.getRequestBody().readAllBytes();
        if (ex.getRequestURI().getPath().startsWith("/v1/jobs")) {
          send(ex, 404, "{\"error\": \"this fake keeps no jobs, as a server before them\"}"); // logBatch goes on untracked
          return;
        }
        String enc = ex.getRequestHeaders().getFirst("Content-Encoding");
        byte[] inflated = "gzip".equalsIgnoreCase(enc) ? gunzip(raw) : raw;
        boolean smile = BodyFormat.SMILE.contentType.equals(ex.getRequestHeaders().getFirst("Content-Type"));
        if (smile && refuseSmile) {
          store.requests.add(new Request(ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), raw, inflated));
          send(ex, 415, "{\"error\": \"Content-Type 'application/x-jackson-smile' is not supported; send application/json\"}");
          return;
        }
        byte[] body = smile ? smileAsJson(inflated) : inflated;
        store.requests.add(new Request(ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), raw, body));
        if (forcedStatus != 0) {
          send(ex, forcedStatus, "{\"error\": \"forced failure for the test\"}");
          return;
        }
        String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
        if (key != null && store.answers.containsKey(key)) {
          store.duplicates.incrementAndGet();
          send(ex, 200, store.answers.get(key));
          return;
        }
        if (wholeBodyLimits && inflated.length > (1 << 20) && inflated.length > 200L * raw.length) {
          send(ex, 413, "{\"error\": \"the gzip body expands more than 200 times (ingest.max-gzip-ratio);"
              + " it was refused, not inflated\"}");
          return;
        }
        Object parsed = JsonIn.parse(new String(body, StandardCharsets.UTF_8));
        if (wholeBodyLimits) {
          int longest = longestString(parsed);
          if (longest > maxStringChars) {
            send(ex, 400, "{\"error\": \"the body is not valid JSON: String value length (" + longest
                + ") exceeds the maximum allowed (" + maxStringChars + "); nothing was stored\"}");
            return;
          }
        }
        if (refusePoison && new String(body, StandardCharsets.UTF_8).contains("\"poison\"")) {
          send(ex, 413, "{\"error\": \"a poisoned body\"}");
          return;
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> records =
            parsed instanceof List ? (List<Map<String, Object>>) parsed : List.of((Map<String, Object>) parsed);
        String path = ex.getRequestURI().getPath();
        List<Map<String, Object>> target =
            path.endsWith("/feedback") ? store.feedback : path.endsWith("/events") ? store.events : store.predictions;
        StringBuilder rejected = new StringBuilder();
        int accepted = 0;
        for (int i = 0; i < records.size(); i++) {
          Object data = records.get(i).get("data");
          String refusal =
              data instanceof Map && ((Map<?, ?>) data).containsKey("reject_me") ? "key 'reject_me' is not welcome"
                  : wholeBodyLimits && new JsonOut(256).value(records.get(i)).size() > (1 << 20) ? "the record is larger than the limit of 1048576 bytes"
                  : null;
          if (refusal != null) {
            if (rejected.length() > 0) {
              rejected.append(',');
            }
            rejected.append("{\"index\": ").append(i).append(", \"error\": \"").append(refusal).append("\"}");
          } else {
            target.add(records.get(i));
            accepted++;
          }
        }
        String answer = "{\"accepted\": " + accepted + ", \"rejected\": [" + rejected + "], \"warnings\": []}";
        if (key != null) {
          store.answers.put(key, answer);
        }
        if (loseAnswers.getAndDecrement() > 0) {
          send(ex, 503, "{\"error\": \"stored, but the answer was lost\"}");
          return;
        }
        send(ex, 200, answer);
      }
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  static int longestString(Object v) {
    if (v instanceof String) {
      return ((String) v).length();
    }
    int longest = 0;
    if (v instanceof Map) {
      for (Object o : ((Map<?, ?>) v).values()) {
        longest = Math.max(longest, longestString(o));
      }
    } else if (v instanceof List) {
      for (Object o : (List<?>) v) {
        longest = Math.max(longest, longestString(o));
      }
    }
    return longest;
  }

  static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Answers 503 with {@code Retry-After} to the first {@code failures} requests, then receives. */
  static final class Unavailable implements AutoCloseable {
    final HttpServer server;
    final Receiver behind;
    final AtomicInteger left;
    final List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
    final String retryAfter;

    Unavailable(int failures, String retryAfter) throws IOException {
      this.behind = new Receiver();
      this.left = new AtomicInteger(failures);
      this.retryAfter = retryAfter;
      this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          ex -> {
            arrivals.add(System.nanoTime());
            if (left.getAndDecrement() > 0) {
              try (ex) {
                ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().set("Retry-After", retryAfter);
                send(ex, 503, "{\"error\": \"storage cannot take writes right now\"}");
              }
            } else {
              // Forward to the receiver's logic by replaying on its handler.
              forward(ex);
            }
          });
      server.start();
    }

    private void forward(HttpExchange ex) throws IOException {
      try (ex) {
        byte[] raw = ex.getRequestBody().readAllBytes();
        java.net.http.HttpRequest.Builder req =
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(behind.url() + ex.getRequestURI().getPath()))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(raw));
        for (String h : new String[] {"Content-Encoding", "Idempotency-Key", "Content-Type"}) {
          String v = ex.getRequestHeaders().getFirst(h);
          if (v != null) {
            req.header(h, v);
          }
        }
        java.net.http.HttpResponse<String> r =
            java.net.http.HttpClient.newHttpClient().send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        send(ex, r.statusCode(), r.body());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
      behind.close();
    }
  }

  /** Accepts connections and never answers: a hung server (a real HTTP server cannot be made to). */
  static final class Hanging implements AutoCloseable {
    final ServerSocket socket;
    final List<Socket> held = new CopyOnWriteArrayList<>();
    final Thread acceptor;

    Hanging() throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    held.add(socket.accept());
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "hanging-fake");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket s : held) {
        s.close();
      }
    }
  }
}
