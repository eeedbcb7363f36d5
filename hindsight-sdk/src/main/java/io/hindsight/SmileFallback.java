package io.hindsight;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * Sends batches, and remembers when the server refused a Smile body with HTTP 415 (a server from
 * before Smile bodies): from then on each Smile batch goes as JSON at once, so such a server costs
 * one refused request, not one per batch. The refused batch itself is sent again as JSON by
 * whoever sent it.
 */
final class SmileFallback implements Shipper.Sender {
  private final Shipper.Sender wire;
  private volatile boolean refused;

  SmileFallback(Shipper.Sender wire) {
    this.wire = wire;
  }

  @Override
  public CompletableFuture<Transport.Response> send(Batch batch) {
    boolean smile = batch.format == BodyFormat.SMILE;
    if (smile && refused) {
      return wire.send(SmileBodies.asJson(batch));
    }
    CompletableFuture<Transport.Response> answer = wire.send(batch);
    if (!smile) {
      return answer;
    }
    CompletableFuture<Transport.Response> seen = answer.thenApply(this::remember);
    // Requests behind a failed one are abandoned by cancelling their answers: the request goes too.
    seen.whenComplete((r, e) -> {
      if (e instanceof CancellationException) {
        answer.cancel(true);
      }
    });
    return seen;
  }

  private Transport.Response remember(Transport.Response r) {
    if (r.status == 415) {
      refused = true;
    }
    return r;
  }
}
