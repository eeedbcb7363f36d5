package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** A real HTTP receiver on a loopback port: keeps every JSON body posted to it, answers 200 unless told otherwise. */
final class WebhookReceiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Received(String path, JsonNode body) {}

  private final HttpServer server;
  private final List<Received> received = new ArrayList<>();
  private final Deque<Integer> statuses = new ArrayDeque<>();

  WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            JsonNode body = JSON.readTree(in);
            int status;
            synchronized (this) {
              received.add(new Received(exchange.getRequestURI().getPath(), body));
              status = statuses.isEmpty() ? 200 : statuses.poll();
            }
            exchange.sendResponseHeaders(status, -1);
          } finally {
            exchange.close();
          }
        });
    server.start();
  }

  /** The next answers, in order; 200 after them. */
  synchronized WebhookReceiver answering(int... next) {
    for (int s : next) {
      statuses.add(s);
    }
    return this;
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  synchronized List<Received> received() {
    return List.copyOf(received);
  }

  synchronized List<JsonNode> bodies() {
    return received.stream().map(Received::body).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
