package io.hindsight.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tracked jobs over a real folder: outcome, counts, errors, cancellation, and what a restart finds. */
class JobsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  private Jobs jobs(JobKind... kinds) throws Exception {
    Jobs jobs = new Jobs(dir, Clock.systemUTC(), JSON);
    for (JobKind k : kinds) {
      jobs.register(k);
    }
    jobs.start();
    return jobs;
  }

  private static JobStatus await(Jobs jobs, String id, Predicate<JobStatus> until) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      JobStatus s = jobs.get(id).orElseThrow();
      if (until.test(s)) {
        return s;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("job " + id + " never got there: " + jobs.get(id));
  }

  private static JobStatus finished(Jobs jobs, String id) throws InterruptedException {
    return await(jobs, id, s -> s.state().finished());
  }

  private static final JobKind COUNTING =
      new JobKind(
          "counting",
          false,
          ctx -> {
            ctx.count("files", 2);
            ctx.progress(0.5);
            ctx.count("files", ctx.params().get("more").asLong());
          });

  @Test
  void aJobEndsDoneWithItsCountsAndIsStillListedAfterARestart() throws Exception {
    String id;
    try (Jobs jobs = jobs(COUNTING)) {
      id = jobs.submit("counting", JSON.createObjectNode().put("more", 3));
      JobStatus s = finished(jobs, id);
      assertThat(s.state()).isEqualTo(JobState.DONE);
      assertThat(s.progress()).isEqualTo(1.0);
      assertThat(s.counts()).containsEntry("files", 5L);
      assertThat(s.startedAt()).isNotNull();
      assertThat(s.finishedAt()).isNotNull();
    }
    try (Jobs again = jobs(COUNTING)) {
      JobStatus s = again.get(id).orElseThrow();
      assertThat(s.state()).isEqualTo(JobState.DONE);
      assertThat(s.counts()).containsEntry("files", 5L);
      assertThat(again.list()).extracting(JobStatus::id).containsExactly(id);
    }
  }

  @Test
  void aRecurringJobWaitsForItsNextRunAddsUpItsCountsAndKeepsItsScheduleAcrossARestart() throws Exception {
    io.hindsight.server.ops.ManualScheduler time = new io.hindsight.server.ops.ManualScheduler();
    JobKind recurring = new JobKind("recurring", true, ctx -> ctx.count("runs", 1));
    String id;
    try (Jobs jobs = new Jobs(dir, time.clock(), JSON)) {
      jobs.register(recurring);
      jobs.start();
      jobs.runRecurring(time);
      id = jobs.submitRecurring("recurring", JSON.createObjectNode(), Duration.ofMinutes(5));
      JobStatus waiting = await(jobs, id, s -> s.counts().getOrDefault("runs", 0L) == 1 && s.state() == JobState.QUEUED);
      assertThat(waiting.nextRun()).isEqualTo(time.now().plus(Duration.ofMinutes(5)));
      time.advance(Duration.ofMinutes(4));
      assertThat(jobs.get(id).orElseThrow().counts()).containsEntry("runs", 1L);
    }
    time.close();
    try (Jobs again = new Jobs(dir, time.clock(), JSON)) {
      again.register(recurring);
      again.start();
      again.runRecurring(time);
      assertThat(again.get(id).orElseThrow().state()).isEqualTo(JobState.QUEUED);
      time.advance(Duration.ofMinutes(1));
      await(again, id, s -> s.counts().getOrDefault("runs", 0L) == 2 && s.state() == JobState.QUEUED);
      assertThat(again.cancel(id).state()).isEqualTo(JobState.CANCELLED);
      time.advance(Duration.ofMinutes(10));
      assertThat(again.get(id).orElseThrow().counts()).containsEntry("runs", 2L);
    }
  }

  @Test
  void theParametersLeaveTheJobsFileOnceItFinished() throws Exception {
    try (Jobs jobs = jobs(COUNTING)) {
      String id = jobs.submit("counting", JSON.createObjectNode().put("more", 3));
      finished(jobs, id);
      assertThat(Files.readString(dir.resolve(id + ".json"))).doesNotContain("params").doesNotContain("more");
      assertThat(jobs.get(id).orElseThrow().toJson(JSON).has("params")).isFalse();
    }
  }

  @Test
  void aFailingJobShowsWhatWentWrong() throws Exception {
    JobKind failing = new JobKind("failing", false, ctx -> {
      throw new IllegalStateException("the disk is full");
    });
    try (Jobs jobs = jobs(failing)) {
      JobStatus s = finished(jobs, jobs.submit("failing", JSON.createObjectNode()));
      assertThat(s.state()).isEqualTo(JobState.FAILED);
      assertThat(s.error()).isEqualTo("the disk is full");
      assertThat(s.toJson(JSON).get("error").asText()).isEqualTo("the disk is full");
    }
  }

  @Test
  void aRunningJobCancelledStopsAtItsNextStep() throws Exception {
    CountDownLatch cancelled = new CountDownLatch(1);
    JobKind waiting = new JobKind("waiting", true, ctx -> {
      ctx.progress(0.1);
      cancelled.await();
      ctx.progress(0.2);
      throw new AssertionError("went on after the cancellation");
    });
    try (Jobs jobs = jobs(waiting)) {
      String id = jobs.submit("waiting", JSON.createObjectNode());
      await(jobs, id, s -> s.progress() == 0.1);
      jobs.cancel(id);
      cancelled.countDown();
      JobStatus s = finished(jobs, id);
      assertThat(s.state()).isEqualTo(JobState.CANCELLED);
      assertThat(s.error()).isNull();
    }
  }

  /**
   * A server killed while a job runs leaves its file saying "running". The next start runs it again
   * when its kind is resumable, and otherwise marks it failed, saying why.
   */
  @Test
  void aJobRunningWhenTheServerDiedIsResumedOrFailedByItsKind() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    JobKind.Work hangs = ctx -> {
      ctx.count("partitions", 1);
      ctx.progress(0.5);
      never.await();
    };
    Jobs dead = jobs(new JobKind("erase", true, hangs), new JobKind("import", false, hangs));
    String resumable = dead.submit("erase", JSON.createObjectNode().put("subject", "c-1"));
    await(dead, resumable, s -> s.progress() == 0.5);
    String notResumable = dead.submit("import", JSON.createObjectNode());
    // The first server "dies" here: never closed; its files say what it was doing.

    JobKind.Work finishes = ctx -> ctx.count("partitions", ctx.params().path("subject").asText().equals("c-1") ? 2 : 0);
    try (Jobs restarted = jobs(new JobKind("erase", true, finishes), new JobKind("import", false, finishes))) {
      JobStatus resumed = finished(restarted, resumable);
      assertThat(resumed.state()).isEqualTo(JobState.DONE);
      assertThat(resumed.counts()).as("the first run's counts are kept").containsEntry("partitions", 3L);
      JobStatus queued = finished(restarted, notResumable);
      assertThat(queued.state()).as("a job that never started simply runs").isEqualTo(JobState.DONE);
    }

    Files.writeString(
        dir.resolve("abandoned.json"),
        "{\"id\": \"abandoned\", \"kind\": \"import\", \"state\": \"running\", \"progress\": 0.3, \"counts\": {},"
            + " \"created_at\": \"2026-11-30T12:00:00Z\", \"started_at\": \"2026-11-30T12:00:01Z\", \"finished_at\": null}");
    try (Jobs restarted = jobs(new JobKind("erase", true, finishes), new JobKind("import", false, finishes))) {
      JobStatus failed = restarted.get("abandoned").orElseThrow();
      assertThat(failed.state()).isEqualTo(JobState.FAILED);
      assertThat(failed.error()).contains("server stopped while this job was running").contains("start it again");
      assertThat(failed.finishedAt()).isNotNull();
    } finally {
      never.countDown();
      dead.close();
    }
  }

  @Test
  void aQueuedJobCancelledNeverRuns() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    JobKind blocking = new JobKind("blocking", false, ctx -> release.await());
    try (Jobs jobs = jobs(blocking, COUNTING)) {
      String first = jobs.submit("blocking", JSON.createObjectNode());
      String second = jobs.submit("counting", JSON.createObjectNode().put("more", 1));
      assertThat(jobs.cancel(second).state()).isEqualTo(JobState.CANCELLED);
      release.countDown();
      finished(jobs, first);
      assertThat(jobs.get(second).orElseThrow().counts()).isEmpty();
    }
  }
}
