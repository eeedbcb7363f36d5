package io.hindsight.server.lake;

import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.S3Settings;
import io.hindsight.server.objects.StoredObject;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The lake's layout under an S3 prefix ({@code lake.uri}), which Spark, Trino and Athena read.
 * Objects are written whole (a single PUT, or a multipart upload the store shows only once
 * complete), so readers never see part of a file.
 */
public final class S3LakeStore implements LakeStore {
  private final ObjectStore store;
  private final S3Location prefix;

  private S3LakeStore(ObjectStore store, S3Location prefix) {
    this.store = store;
    this.prefix = prefix;
  }

  /**
   * Connects and checks that the store takes the settings, so that a wrong key or bucket stops the
   * server at start with the setting to fix rather than failing every write later.
   *
   * @throws IllegalArgumentException naming the setting the store refused ({@code lake.uri},
   *     {@code lake.s3.access-key}, {@code lake.s3.endpoint})
   */
  public static S3LakeStore connect(String uri, S3Settings settings) throws IOException {
    S3Location prefix;
    try {
      prefix = S3Location.parse(uri);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("lake.uri: " + e.getMessage(), e);
    }
    ObjectStore store = ObjectStore.open(settings);
    try {
      store.probe(prefix);
    } catch (ObjectStore.Refused e) {
      store.close();
      throw new IllegalArgumentException(refusal(e, prefix, settings), e);
    }
    return new S3LakeStore(store, prefix);
  }

  private static String refusal(ObjectStore.Refused e, S3Location prefix, S3Settings settings) {
    String where = settings.endpoint() == null ? "AWS S3" : String.valueOf(settings.endpoint());
    return switch (e.reason()) {
      case CREDENTIALS ->
          "lake.s3.access-key / lake.s3.secret-key: " + where + " refused the credentials"
              + (settings.accessKey() == null ? " of the AWS default chain" : " of access key '" + settings.accessKey() + "'")
              + " for " + prefix + " (" + e.getMessage() + "); set a key pair that may list, read, write and delete there";
      case NO_BUCKET ->
          "lake.uri: the bucket '" + prefix.bucket() + "' does not exist at " + where + " (" + e.getMessage()
              + "); create it or point lake.uri at an existing one";
      case UNREACHABLE ->
          "lake.s3.endpoint: cannot reach " + where + " for " + prefix + " (" + e.getMessage() + ")";
      case OTHER -> "lake.uri: " + where + " refused to list " + prefix + " (" + e.getMessage() + ")";
    };
  }

  @Override
  public boolean remote() {
    return true;
  }

  @Override
  public void put(String file, Path content) throws IOException {
    store.upload(content, prefix.resolve(file));
  }

  @Override
  public void delete(String file) throws IOException {
    store.delete(prefix.resolve(file));
  }

  @Override
  public Map<String, Stored> list() throws IOException {
    Map<String, Stored> out = new LinkedHashMap<>();
    for (Table t : Table.values()) {
      for (StoredObject o : store.list(prefix.resolve(t.dirName()))) {
        String name = prefix.relativeKey(o.location().key());
        if (Lake.isLakeFileName(name, t)) {
          out.put(name, new Stored(o.size(), o.eTag()));
        }
      }
    }
    return out;
  }

  @Override
  public Map<String, Stored> list(String folder) throws IOException {
    Map<String, Stored> out = new LinkedHashMap<>();
    for (StoredObject o : store.list(prefix.resolve(folder))) {
      String name = prefix.relativeKey(o.location().key());
      if (Lake.isDataFile(Path.of(name))) {
        out.put(name, new Stored(o.size(), o.eTag()));
      }
    }
    return out;
  }

  @Override
  public Map<String, Stored> notes(String folder) throws IOException {
    Map<String, Stored> out = new LinkedHashMap<>();
    for (StoredObject o : store.list(prefix.resolve(folder))) {
      out.put(prefix.relativeKey(o.location().key()), new Stored(o.size(), o.eTag()));
    }
    return out;
  }

  @Override
  public void get(String file, Path target) throws IOException {
    store.download(prefix.resolve(file), target);
  }

  @Override
  public String describe() {
    return prefix.toString();
  }

  @Override
  public void close() {
    store.close();
  }
}
