package io.hindsight;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * An in-memory Hindsight for unit tests of model code, in the spirit of Verta's
 * {@code runtime.context()}: it validates keys and values exactly like the real SDK, applies the
 * same sampling, PII policies and record limit, and keeps what would have been sent instead of
 * sending it.
 *
 * <p>It opens a prediction scope on the creating thread, so {@link Hindsight#log} works right
 * away and {@link #logs()} shows what was logged. For several predictions in one test, open a
 * scope per prediction with {@link #startPrediction(String)} (or let the code under test use
 * {@link #hindsight()}) and read each one back with {@link #record(String)}:
 *
 * <pre>{@code
 * try (LocalContext ctx = Hindsight.localContext()) {
 *   for (String id : List.of("a", "b")) {
 *     try (Prediction p = ctx.startPrediction(id)) {
 *       model.predict(input(id));                 // calls Hindsight.log("score", ...)
 *     }
 *   }
 *   assertThat(ctx.record("a").get("score")).isEqualTo(0.93);
 *   assertThat(ctx.records()).hasSize(2);
 * }
 * }</pre>
 *
 * <p>Values read back are what would be sent: integral numbers as {@link Long} (log {@code 3},
 * expect {@code 3L}), floating-point ones as {@link Double}, arrays as lists, a {@code byte[]} as
 * its base64 string. Closing the context closes its own scope.
 */
public final class LocalContext implements AutoCloseable {
  private final Hindsight hindsight;
  private final Prediction scope;
  private final List<PredictionRecord> records = Collections.synchronizedList(new ArrayList<>());
  private final List<String> json = Collections.synchronizedList(new ArrayList<>());
  private final List<String> feedback = Collections.synchronizedList(new ArrayList<>());
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());
  private final SystemFigures.GcClock gc = new SystemFigures.GcClock();

  LocalContext(HindsightBuilder builder) {
    this.hindsight = new Hindsight(builder, this::accept);
    this.scope = hindsight.startPrediction();
    this.scope.implicit = true;
  }

  private void accept(Object item) {
    if (item instanceof Prediction) {
      Prediction p = (Prediction) item;
      BodyOut out = new JsonOut(256);
      boolean written;
      synchronized (gc) {
        written = p.writeWithin(out, hindsight.maxRecordBytes, gc, hindsight.counters, hindsight.log);
      }
      if (!written) {
        return;
      }
      hindsight.counters.sent(Kind.PREDICTIONS, 1);
      records.add(new PredictionRecord(p));
      json.add(new String(out.toByteArray(), StandardCharsets.UTF_8));
    } else if (item instanceof Message) {
      Message m = (Message) item;
      hindsight.counters.sent(m.kind, 1);
      String text = new String(m.body, StandardCharsets.UTF_8);
      (m.kind == Kind.FEEDBACK ? feedback : events).add(text);
    }
  }

  /** The in-memory instance, for code that takes a {@link Hindsight}. */
  public Hindsight hindsight() {
    return hindsight;
  }

  /** The scope this context opened on the creating thread. */
  public Prediction prediction() {
    return scope;
  }

  /**
   * Opens a prediction scope on the calling thread, nested in this context's own scope (which is
   * current again once it closes); its record appears in {@link #records()} when it closes.
   */
  public Prediction startPrediction(String predictionId) {
    return hindsight.startPrediction(predictionId);
  }

  /** Like {@link #startPrediction(String)} with a generated id. */
  public Prediction startPrediction() {
    return hindsight.startPrediction();
  }

  /**
   * The finished (and kept) prediction with this id.
   *
   * @throws IllegalArgumentException when no closed prediction has it, listing the ids there are
   */
  public PredictionRecord record(String predictionId) {
    List<PredictionRecord> all = records();
    for (PredictionRecord r : all) {
      if (r.predictionId().equals(predictionId)) {
        return r;
      }
    }
    List<String> ids = new ArrayList<>();
    all.forEach(r -> ids.add(r.predictionId()));
    throw new IllegalArgumentException(
        "no finished prediction '" + predictionId + "' in this context (its scope must be closed,"
            + " and kept by sampling); finished: " + ids);
  }

  /**
   * What has been logged so far into this context's own scope, in logging order; integral numbers
   * as {@link Long}, floating-point ones as {@link Double}.
   */
  public Map<String, Object> logs() {
    synchronized (scope) {
      return Collections.unmodifiableMap(scope.dataView());
    }
  }

  /** Finished (and kept) predictions, in the order they closed. */
  public List<PredictionRecord> records() {
    synchronized (records) {
      return List.copyOf(records);
    }
  }

  /** The JSON each kept prediction would have been sent as. */
  public List<String> sentJson() {
    synchronized (json) {
      return List.copyOf(json);
    }
  }

  /** The JSON of each feedback record that would have been sent. */
  public List<String> sentFeedback() {
    synchronized (feedback) {
      return List.copyOf(feedback);
    }
  }

  /** The JSON of each event that would have been sent. */
  public List<String> sentEvents() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** Forgets everything collected so far (records, JSON, feedback, events). */
  public void clear() {
    records.clear();
    json.clear();
    feedback.clear();
    events.clear();
  }

  /** The counters (sampling drops show up here). */
  public Stats stats() {
    return hindsight.stats();
  }

  /** Closes this context's own scope; its record then appears in {@link #records()}. */
  @Override
  public void close() {
    scope.close();
  }
}
