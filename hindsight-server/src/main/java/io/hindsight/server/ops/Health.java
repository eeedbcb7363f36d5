package io.hindsight.server.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The answer of {@code GET /health}: {@code {"status": "ok"}}, or {@code {"status": "degraded",
 * "reasons": [...]}} while a part of the server reports a problem (say, the lake writer cannot
 * write). Degraded is still HTTP 200: ingest stays durable and queries keep working, so a load
 * balancer must not take the server out of rotation; monitoring alerts on the status and on
 * {@code hindsight_health_problems}.
 */
public final class Health {
  private final List<Supplier<List<String>>> checks = new CopyOnWriteArrayList<>();

  /** Adds a check that lists the problems of one part (empty when that part is fine). */
  public void add(Supplier<List<String>> check) {
    checks.add(check);
  }

  /** Every problem reported now. */
  public List<String> problems() {
    List<String> all = new ArrayList<>();
    for (Supplier<List<String>> c : checks) {
      all.addAll(c.get());
    }
    return all;
  }

  /** The JSON answer of {@code GET /health}. */
  public Map<String, Object> report() {
    List<String> problems = problems();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("status", problems.isEmpty() ? "ok" : "degraded");
    if (!problems.isEmpty()) {
      answer.put("reasons", problems);
    }
    return answer;
  }
}
