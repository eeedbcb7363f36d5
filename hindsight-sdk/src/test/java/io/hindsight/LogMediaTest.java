package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Hindsight#logMedia}: a media reference in the exact shape the server types {@code media}. */
class LogMediaTest {
  private LocalContext ctx;

  @BeforeEach
  void open() {
    ctx = Hindsight.localContext();
  }

  @AfterEach
  void close() {
    ctx.close();
  }

  @Test
  void logsTheReferenceAsAnObjectOfUriAndContentTypeOnly() {
    Hindsight.logMedia("scan", "s3://scans/2026/11/42.png", "image/png");
    Hindsight.logMedia("call", "/data/audio/7.wav", "audio/wav");

    assertThat(ctx.logs().get("scan")).isEqualTo(Map.of("uri", "s3://scans/2026/11/42.png", "content_type", "image/png"));
    assertThat(ctx.logs().get("call")).isEqualTo(Map.of("uri", "/data/audio/7.wav", "content_type", "audio/wav"));
  }

  @Test
  void refusesAContentTypeOutsideTheMediaFamiliesOrAnEmptyUriAtOnce() {
    assertThatThrownBy(() -> Hindsight.logMedia("doc", "/d/a.pdf", "application/pdf"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'application/pdf'")
        .hasMessageContaining("image/*, audio/*, video/* or text/*");
    assertThatThrownBy(() -> Hindsight.logMedia("doc", "", "text/plain"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("uri");
    assertThatThrownBy(() -> Hindsight.logMedia("doc", "/a\n.txt", "text/plain")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hindsight.logMedia("doc", "/a.txt", null)).isInstanceOf(IllegalArgumentException.class);
    assertThat(ctx.logs()).isEmpty();
  }

  @Test
  void refusesALoggedKeyLikeAnyOtherValue() {
    Hindsight.logMedia("scan", "/a.png", "image/png");

    assertThatThrownBy(() -> Hindsight.logMedia("Scan", "/b.png", "image/png")).isInstanceOf(IllegalArgumentException.class);
  }
}
