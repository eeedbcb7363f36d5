package io.hindsight.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.ops.ServerMetrics;
import io.javalin.http.Context;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import org.eclipse.jetty.server.Request;

/** Opens request bodies under the deadlines of {@link ServerConfig.Http} and a size limit. */
final class RequestBodies {
  private final ServerConfig.Http http;
  private final ServerMetrics metrics;

  RequestBodies(ServerConfig.Http http, ServerMetrics metrics) {
    this.http = http;
    this.metrics = metrics;
  }

  /** The raw body, which must arrive whole within the body deadline and above the minimum rate. */
  InputStream open(Context ctx) throws IOException {
    return new BodyDeadline(
        ctx.req().getInputStream(),
        Request.getBaseRequest(ctx.req()).getHttpChannel(),
        http.bodyTimeout,
        http.minBodyBytesPerSecond,
        metrics);
  }

  /** A JSON body of at most {@code maxBytes}, refused with 413 naming {@code limitKey} above it. */
  JsonNode json(Context ctx, ObjectMapper json, long maxBytes, String limitKey) throws IOException {
    java.util.function.Supplier<ApiException> tooLarge =
        () -> {
          metrics.guardHit("body_limit");
          return new ApiException(413, "the body is larger than the limit of " + maxBytes + " bytes (" + limitKey + ")");
        };
    if (ctx.req().getContentLengthLong() > maxBytes) {
      throw tooLarge.get();
    }
    try (InputStream in = new BoundedInputStream(open(ctx), maxBytes, tooLarge)) {
      return json.readTree(in);
    } catch (IOException e) {
      throw ApiException.badRequest("the body is not valid JSON: " + e.getMessage());
    }
  }

  /**
   * Receives up to {@code bytes} of a body into memory, so that a request can take a scarce slot
   * only once its body is here (or well under way): a client that sends slowly then waits on its
   * own time, not on a slot others need.
   */
  static InputStream readAhead(InputStream body, int bytes) throws IOException {
    byte[] head = body.readNBytes(bytes);
    ByteArrayInputStream received = new ByteArrayInputStream(head);
    return head.length < bytes ? received : new SequenceInputStream(received, body);
  }
}
