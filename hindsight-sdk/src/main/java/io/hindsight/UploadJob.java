package io.hindsight;

import java.util.Map;

/**
 * The server-side job that tracks one {@link Hindsight#logBatch} upload ({@code POST
 * /v1/jobs/uploads}, then {@code POST /v1/jobs/{id}/report}), so the upload shows in {@code GET
 * /v1/jobs} with its progress and counts like the server's own jobs. Tracking never stops an
 * upload: a server that cannot open the job (an older one, a key without the write scope) leaves
 * the upload untracked, and a report that fails is not retried (the next one carries the totals).
 */
final class UploadJob {
  private final Transport transport;
  private final String id;

  private UploadJob(Transport transport, String id) {
    this.transport = transport;
    this.id = id;
  }

  /** Opens the job; an untracked one (id null) when the server does not open it. */
  static UploadJob open(Transport transport, String endpoint) {
    BodyOut body = new JsonOut(128);
    body.beginObject().field("endpoint").string(endpoint).next().field("kind").string("predictions").endObject();
    Transport.Response r = transport.postJson("/v1/jobs/uploads", body.toByteArray());
    String id = null;
    if (r.status == 201 && r.body != null) {
      try {
        Object answer = JsonIn.parse(r.body);
        if (answer instanceof Map<?, ?> m && m.get("id") instanceof String s) {
          id = s;
        }
      } catch (IllegalArgumentException notJson) {
        // untracked
      }
    }
    return new UploadJob(transport, id);
  }

  /** The job's id, or null when the upload is not tracked. */
  String id() {
    return id;
  }

  /**
   * Tells the job the totals so far; {@code state} is running, done or failed ({@code error} then
   * says why); {@code progress} is the share done, or negative when unknown.
   */
  void report(double progress, long accepted, long rejected, long unsent, String state, String error) {
    if (id == null) {
      return;
    }
    BodyOut body = new JsonOut(256);
    body.beginObject().field("state").string(state);
    if (progress >= 0) {
      body.next().field("progress").number(progress);
    }
    body.next().field("counts").beginObject()
        .field("accepted").number(accepted).next()
        .field("rejected").number(rejected).next()
        .field("unsent").number(unsent).endObject();
    if (error != null) {
      body.next().field("error").string(error);
    }
    body.endObject();
    transport.postJson("/v1/jobs/" + id + "/report", body.toByteArray());
  }
}
