package io.hindsight.server.lake;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Which files of a partition are merged.
 *
 * @param minFiles a partition is compacted once it has this many small files
 * @param smallFileBytes files smaller than this are merged together
 * @param targetBytes a merged file grows to at most this size
 */
public record CompactionPolicy(int minFiles, long smallFileBytes, long targetBytes) {
  /**
   * The files to merge now, from the partition's files and their sizes: small files, smallest
   * first, up to {@link #targetBytes}. Once {@link #minFiles} are in, a larger file joins only if
   * it is no larger than those before it together: a merged file is merged again when the newer
   * files have grown to its size, not with every few new ones, so a row is rewritten a few times
   * (about log2 of how much its file grows) rather than at every pass while its file is small.
   * Empty when fewer than {@link #minFiles} qualify.
   */
  public List<Path> pick(Map<Path, Long> sizes) {
    List<Map.Entry<Path, Long>> small = new ArrayList<>();
    for (Map.Entry<Path, Long> e : sizes.entrySet()) {
      if (e.getValue() < smallFileBytes) {
        small.add(e);
      }
    }
    small.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
    List<Path> picked = new ArrayList<>();
    long total = 0;
    for (Map.Entry<Path, Long> e : small) {
      long size = e.getValue();
      if (total + size > targetBytes || (picked.size() >= minFiles && size > total)) {
        break;
      }
      picked.add(e.getKey());
      total += size;
    }
    return picked.size() >= minFiles ? picked : List.of();
  }
}
