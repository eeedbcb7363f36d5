package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SystemFiguresTest {
  @SuppressWarnings("unchecked")
  private static Map<String, Object> system(String json) {
    return (Map<String, Object>) ((Map<?, ?>) ((Map<?, ?>) JsonIn.parse(json)).get("data")).get("system");
  }

  @Test
  void captureSystemAddsHostProcessHeapCpuGcAndThreadToEachRecord() {
    try (LocalContext ctx = Hindsight.builder().endpoint("local").captureSystem().buildLocal()) {
      try (Prediction p = ctx.startPrediction("p1")) {
        Hindsight.log("score", 0.5);
      }
      Map<String, Object> system = system(ctx.sentJson().get(0));
      assertThat(system.keySet())
          .containsExactlyInAnyOrder("thread", "gc_ms_since_previous", "host", "pid", "heap_used_bytes", "cpu_load");
      assertThat(system.get("thread")).isEqualTo(Thread.currentThread().getName());
      assertThat(system.get("pid")).isEqualTo(ProcessHandle.current().pid());
      assertThat((Long) system.get("heap_used_bytes")).isPositive();
      assertThat((String) system.get("host")).isNotBlank();
    }
  }

  @Test
  void jvmFiguresAreReadAgainOnlyAfter100Milliseconds() {
    FakeTime time = new FakeTime();
    try (LocalContext ctx = Hindsight.builder().endpoint("local").captureSystem().time(time).buildLocal()) {
      Prediction first = ctx.startPrediction("a");
      first.close();
      Prediction second = ctx.startPrediction("b");
      second.close();
      time.advance(Duration.ofMillis(99));
      Prediction third = ctx.startPrediction("c");
      third.close();
      time.advance(Duration.ofMillis(1));
      Prediction fourth = ctx.startPrediction("d");
      fourth.close();

      assertThat(second.system).isSameAs(first.system);
      assertThat(third.system).as("still within 100 ms").isSameAs(first.system);
      assertThat(fourth.system).as("refreshed").isNotSameAs(first.system);
    }
  }

  @Test
  void gcTimeIsCountedBetweenConsecutiveRecords() {
    SystemFigures.GcClock gc = new SystemFigures.GcClock();
    assertThat(gc.since(500)).as("the first record").isZero();
    assertThat(gc.since(500)).isZero();
    assertThat(gc.since(530)).isEqualTo(30);
    assertThat(gc.since(520)).as("an older snapshot written late").isZero();
    assertThat(gc.since(540)).isEqualTo(10);
  }

  @Test
  void aSystemKeyTheModelLogsItselfWins() {
    try (LocalContext ctx = Hindsight.builder().endpoint("local").captureSystem().buildLocal()) {
      Hindsight.log("system", "mine");
      ctx.close();
      assertThat(ctx.sentJson().get(0)).contains("\"system\":\"mine\"").doesNotContain("heap_used_bytes");
    }
  }

  @Test
  void withoutCaptureSystemThereIsNoSystemValue() {
    try (LocalContext ctx = Hindsight.localContext()) {
      Hindsight.log("score", 0.5);
      ctx.close();
      assertThat(ctx.sentJson().get(0)).doesNotContain("\"system\"");
    }
  }
}
