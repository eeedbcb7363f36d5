package io.hindsight.server.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectStoreTest {
  @TempDir Path dir;

  @Test
  void parsesBucketAndPrefix() {
    assertThat(S3Location.parse("s3://logs/scoring/2026")).isEqualTo(new S3Location("logs", "scoring/2026"));
    assertThat(S3Location.parse("s3://logs")).isEqualTo(new S3Location("logs", ""));
    assertThat(S3Location.parse("s3://logs/a/").folderKey()).isEqualTo("a/");
    assertThat(S3Location.parse("s3://logs/a").folderKey()).isEqualTo("a/");
    assertThat(S3Location.parse("s3://logs/a").relativeKey("a/date=1/x.csv")).isEqualTo("date=1/x.csv");
  }

  @Test
  void refusesWhatIsNotAnS3Location() {
    assertThatThrownBy(() -> S3Location.parse("/data/logs")).hasMessageContaining("s3://bucket/prefix");
    assertThatThrownBy(() -> S3Location.parse("s3:///nobucket")).hasMessageContaining("bucket");
    assertThatThrownBy(() -> new S3Settings(null, null, true, "key-only", null)).hasMessageContaining("secret key");
  }

  @Test
  void listsAPrefixAsAFolderAndCopiesObjectsBothWays() throws Exception {
    try (LocalS3 s3 = new LocalS3("logs");
        ObjectStore store = ObjectStore.open(s3.settings())) {
      Path a = Files.writeString(dir.resolve("a.csv"), "id\n1\n");
      store.upload(a, S3Location.parse("s3://logs/scoring/date=2026-11-01/a.csv"));
      store.upload(a, S3Location.parse("s3://logs/scoring/date=2026-11-02/b.csv"));
      store.upload(a, S3Location.parse("s3://logs/scoring-old/c.csv"));

      var listed = store.list(S3Location.parse("s3://logs/scoring"));
      assertThat(listed).extracting(o -> o.location().key())
          .containsExactly("scoring/date=2026-11-01/a.csv", "scoring/date=2026-11-02/b.csv");
      assertThat(listed.get(0).size()).isEqualTo(5);

      Path copy = dir.resolve("copy/a.csv");
      store.download(listed.get(0).location(), copy);
      assertThat(Files.readString(copy, StandardCharsets.UTF_8)).isEqualTo("id\n1\n");
      assertThat(Files.list(copy.getParent())).containsExactly(copy);
    }
  }

  @Test
  void uploadsALargeFileInPartsThatTheStoreShowsWhole() throws Exception {
    try (LocalS3 s3 = new LocalS3("logs");
        ObjectStore store = ObjectStore.open(s3.settings())) {
      byte[] content = new byte[11 << 20];
      new java.util.Random(7).nextBytes(content);
      Path big = Files.write(dir.resolve("big.parquet"), content);
      S3Location target = S3Location.parse("s3://logs/lake/big.parquet");

      store.upload(big, target, 5 << 20, 5 << 20);

      Path copy = dir.resolve("copy.parquet");
      store.download(target, copy);
      assertThat(Files.readAllBytes(copy)).isEqualTo(content);
      assertThat(store.find(target).orElseThrow().eTag()).as("a multipart upload's tag names its parts").contains("-3");
    }
  }

  @Test
  void namesTheLocationWhenTheStoreRefuses() throws Exception {
    try (LocalS3 s3 = new LocalS3("logs");
        ObjectStore store = ObjectStore.open(s3.settings())) {
      assertThatThrownBy(() -> store.download(S3Location.parse("s3://logs/missing.csv"), dir.resolve("m.csv")))
          .hasMessageContaining("s3://logs/missing.csv");
      assertThat(dir.resolve("m.csv")).doesNotExist();
    }
  }

  @Test
  void findsAnObjectsSizeAndStreamsAByteRangeOfIt() throws Exception {
    try (LocalS3 s3 = new LocalS3("logs");
        ObjectStore store = ObjectStore.open(s3.settings())) {
      S3Location object = S3Location.parse("s3://logs/calls/7.txt");
      store.upload(Files.writeString(dir.resolve("7.txt"), "0123456789"), object);

      assertThat(store.find(object)).hasValueSatisfying(o -> assertThat(o.size()).isEqualTo(10));
      assertThat(store.find(S3Location.parse("s3://logs/calls/8.txt"))).isEmpty();
      try (var in = store.read(object, 3, 4)) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("3456");
      }
    }
  }
}
