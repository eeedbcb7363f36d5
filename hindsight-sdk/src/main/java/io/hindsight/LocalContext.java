package io.hindsight;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * An in-memory Hindsight for unit tests of model code, in the spirit of Verta's
 * {@code runtime.context()}: it validates keys and values exactly like the real SDK, applies the
 * same sampling and PII policies, and keeps what would have been sent instead of sending it.
 *
 * <p>It opens a prediction scope on the creating thread, so {@link Hindsight#log} works right
 * away and {@link #logs()} shows what was logged; {@link #hindsight()} serves code that opens
 * its own scopes. Closing the context closes that scope.
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
      JsonOut out = new JsonOut(256);
      boolean written;
      synchronized (gc) {
        written = p.writeJsonWithin(out, hindsight.maxRecordBytes, gc, hindsight.counters, hindsight.log);
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
      String text = new String(m.json, StandardCharsets.UTF_8);
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

  /** What has been logged so far into this context's own scope, in logging order. */
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
