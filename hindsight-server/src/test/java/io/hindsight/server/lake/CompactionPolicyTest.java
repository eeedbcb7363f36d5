package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which files a pass merges: small ones, smallest first, and a merged file only once the rest have caught up with it. */
class CompactionPolicyTest {
  private static final CompactionPolicy POLICY = new CompactionPolicy(4, 1_000_000, 10_000_000);

  @Test
  void aMergedFileWaitsUntilTheNewerFilesTogetherAreAsLarge() {
    Map<Path, Long> files = new LinkedHashMap<>();
    files.put(Path.of("merged"), 5_000L);
    for (int i = 0; i < 6; i++) {
      files.put(Path.of("new-" + i), 500L);
    }
    assertThat(POLICY.pick(files)).as("3,000 bytes of new files").hasSize(6).doesNotContain(Path.of("merged"));

    for (int i = 6; i < 10; i++) {
      files.put(Path.of("new-" + i), 500L);
    }
    assertThat(POLICY.pick(files)).as("5,000 bytes of new files").hasSize(11).contains(Path.of("merged"));
  }

  @Test
  void fewerSmallFilesThanTheMinimumMergeNothingAndLargeOnesStayOut() {
    Map<Path, Long> files = new LinkedHashMap<>();
    files.put(Path.of("large"), 2_000_000L);
    for (int i = 0; i < 3; i++) {
      files.put(Path.of("small-" + i), 100L);
    }
    assertThat(POLICY.pick(files)).isEmpty();
    files.put(Path.of("small-3"), 100L);
    assertThat(POLICY.pick(files)).hasSize(4).doesNotContain(Path.of("large"));
  }

  @Test
  void aMergeGrowsToTheTargetAtMost() {
    Map<Path, Long> files = new LinkedHashMap<>();
    for (int i = 0; i < 30; i++) {
      files.put(Path.of("f-" + i), 900_000L);
    }
    List<Path> picked = POLICY.pick(files);
    assertThat(picked).hasSize(11);
  }

  /** Files flushed at a steady pace: every row is rewritten a few times, not at every pass. */
  @Test
  void aSteadyStreamOfFlushesRewritesEachByteAFewTimes() {
    List<Long> partition = new ArrayList<>();
    long written = 0;
    long rewritten = 0;
    for (int pass = 0; pass < 1_000; pass++) {
      for (int i = 0; i < 8; i++) {
        partition.add(1_000L);
        written += 1_000;
      }
      Map<Path, Long> files = new LinkedHashMap<>();
      for (int i = 0; i < partition.size(); i++) {
        files.put(Path.of(Integer.toString(i)), partition.get(i));
      }
      List<Path> picked = POLICY.pick(files);
      long merged = 0;
      List<Long> kept = new ArrayList<>();
      for (int i = 0; i < partition.size(); i++) {
        if (picked.contains(Path.of(Integer.toString(i)))) {
          merged += partition.get(i);
        } else {
          kept.add(partition.get(i));
        }
      }
      if (merged > 0) {
        kept.add(merged);
        rewritten += merged;
      }
      partition = kept;
    }
    // Each pass adds 8 KB; files stop being merged at 1 MB: at most ~log2(1 MB / 8 KB) + 1 = 8 rewrites.
    assertThat((double) rewritten / written).isLessThan(9);
    assertThat(partition.stream().filter(s -> s < 1_000_000).count()).as("small files left").isLessThan(20);
  }
}
