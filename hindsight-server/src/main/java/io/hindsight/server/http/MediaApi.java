package io.hindsight.server.http;

import io.hindsight.server.ApiException;
import io.hindsight.server.media.MediaLibrary;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.List;
import org.eclipse.jetty.server.InclusiveByteRange;

/**
 * {@code GET /v1/media?uri=...[&content_type=...]} (read scope): the file a media reference points
 * at, from the configured roots only ({@link MediaLibrary} decides). The answer is marked so a
 * browser never runs or sniffs it: {@code nosniff}, a sandboxing Content-Security-Policy, and the
 * type told by the file's extension. One byte range is served when asked (audio and video seek
 * with it); several ranges, or one that cannot be satisfied, get the whole file.
 */
final class MediaApi {
  /** Nothing in a served file may run, load or navigate, even when it is opened on its own. */
  private static final String CSP = "sandbox; default-src 'none'";

  private final MediaLibrary library;

  MediaApi(MediaLibrary library) {
    this.library = library;
  }

  void get(Context ctx) throws IOException {
    String uri = ctx.queryParam("uri");
    if (uri == null || uri.isEmpty()) {
      throw ApiException.badRequest("'uri' is missing; ask for /v1/media?uri=<the uri of a media reference>");
    }
    MediaLibrary.Media media = library.find(uri, ctx.queryParam("content_type"));
    long size = media.file().size();
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Content-Security-Policy", CSP);
    ctx.header("Content-Disposition", disposition(media));
    ctx.header("Cache-Control", "private, max-age=60");
    ctx.header("Accept-Ranges", "bytes");
    ctx.contentType(media.contentType());
    List<InclusiveByteRange> ranges =
        ctx.header("Range") == null ? null : InclusiveByteRange.satisfiableRanges(ctx.req().getHeaders("Range"), size);
    if (ranges != null && ranges.size() == 1) {
      InclusiveByteRange range = ranges.get(0);
      ctx.status(206);
      ctx.header("Content-Range", range.toHeaderRangeString(size));
      ctx.result(media.file().open(range.getFirst(), range.getSize()));
    } else {
      ctx.result(media.file().open(0, size));
    }
  }

  /** Shown in place when a browser can show the type itself; other text types are saved as files. */
  private static String disposition(MediaLibrary.Media media) {
    String type = media.contentType();
    boolean shown = type.startsWith("image/") || type.startsWith("audio/") || type.startsWith("video/") || type.equals("text/plain");
    String name = media.file().name().replaceAll("[^A-Za-z0-9._-]", "_");
    return (shown ? "inline" : "attachment") + "; filename=\"" + name + "\"";
  }
}
