package io.hindsight.server.retention;

import java.util.Map;

/** Where retention and erasure record what they did: an event on the endpoint's timeline (the {@code events} table). */
@FunctionalInterface
public interface TimelineEvents {
  void record(String endpoint, String kind, String text, Map<String, Object> data);
}
