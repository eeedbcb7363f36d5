package io.hindsight.server.lake;

import io.hindsight.server.schema.SchemaRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The catalog of schemas shared through the lake's store, for deployments without Kafka (which
 * carries it otherwise): the node writing the lake puts each schema file beside the tables, under
 * {@code _catalog/}, and the nodes following the store (query, monitor) take them up, so their
 * views and monitoring know every endpoint's columns and types as the writer typed them.
 */
public final class SharedCatalog {
  static final String FOLDER = "_catalog";

  private final SchemaRegistry schemas;
  private final LakeStore store;
  private final Path scratch;
  /** What was last put in the store, by schema file. */
  private final Map<String, byte[]> sent = new HashMap<>();
  /** The store's tag of what was last taken, by object. */
  private final Map<String, String> taken = new HashMap<>();

  /** @param scratch a folder for downloads, on the data folder's disk */
  public SharedCatalog(SchemaRegistry schemas, LakeStore store, Path scratch) {
    this.schemas = schemas;
    this.store = store;
    this.scratch = scratch;
  }

  /** Puts every schema file that changed since it was last put in the store (writing node). */
  public synchronized int publish() throws IOException {
    int put = 0;
    for (Map.Entry<String, Path> f : schemas.files().entrySet()) {
      byte[] content = Files.readAllBytes(f.getValue());
      if (!Arrays.equals(content, sent.get(f.getKey()))) {
        store.put(FOLDER + "/" + f.getKey(), f.getValue());
        sent.put(f.getKey(), content);
        put++;
      }
    }
    return put;
  }

  /** Takes up every schema file the store holds and this node has not seen yet (following node). */
  public synchronized int take() throws IOException {
    int changed = 0;
    Files.createDirectories(scratch);
    Path copy = scratch.resolve(".catalog-download");
    for (Map.Entry<String, LakeStore.Stored> o : store.notes(FOLDER).entrySet()) {
      if (o.getValue().tag().equals(taken.get(o.getKey()))) {
        continue;
      }
      try {
        store.get(o.getKey(), copy);
      } catch (NoSuchFileException gone) {
        continue;
      }
      if (schemas.adopt(o.getKey().substring(FOLDER.length() + 1), Files.readAllBytes(copy))) {
        changed++;
      }
      Files.delete(copy);
      taken.put(o.getKey(), o.getValue().tag());
    }
    return changed;
  }
}
