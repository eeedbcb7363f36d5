package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** A body's fingerprint covers every byte of it, however the parser read, skipped or left it. */
class BodyFingerprintTest {
  private static final byte[] BODY = "{\"a\":1}\n{\"b\":2}\n".getBytes(StandardCharsets.UTF_8);

  private static String expected(byte[] body) {
    CRC32C c = new CRC32C();
    c.update(body);
    CRC32 d = new CRC32();
    d.update(body);
    return String.format("%08x%08x-%d", c.getValue(), d.getValue(), body.length);
  }

  @Test
  void isTheChecksumsAndLengthOfTheWholeBody() throws IOException {
    BodyFingerprint f = new BodyFingerprint(new ByteArrayInputStream(BODY));
    assertThat(f.finish()).isEqualTo(expected(BODY));
  }

  @Test
  void countsBytesReadOneByOneInChunksSkippedAndLeftUnread() throws IOException {
    BodyFingerprint f = new BodyFingerprint(new ByteArrayInputStream(BODY));
    assertThat(f.read()).isEqualTo('{');
    byte[] buf = new byte[4];
    assertThat(f.read(buf, 1, 3)).isEqualTo(3);
    assertThat(f.skip(5)).isEqualTo(5);
    assertThat(f.skip(-1)).isZero();
    assertThat(f.finish()).isEqualTo(expected(BODY));
    assertThat(f.read()).isEqualTo(-1);
    assertThat(f.finish()).as("asked again, the same").isEqualTo(expected(BODY));
  }

  @Test
  void skipPastTheEndSkipsWhatThereIs() throws IOException {
    BodyFingerprint f = new BodyFingerprint(new ByteArrayInputStream(BODY));
    assertThat(f.skip(100_000)).isEqualTo(BODY.length);
    assertThat(f.finish()).isEqualTo(expected(BODY));
  }

  @Test
  void bodiesThatDifferInOneByteOrInLengthDiffer() throws IOException {
    byte[] other = BODY.clone();
    other[3] = '2';
    assertThat(new BodyFingerprint(new ByteArrayInputStream(other)).finish())
        .isNotEqualTo(new BodyFingerprint(new ByteArrayInputStream(BODY)).finish());
    assertThat(new BodyFingerprint(new ByteArrayInputStream(new byte[0])).finish()).isEqualTo("0000000000000000-0");
  }

  @Test
  void aClosedBodyIsNotReadFurther() throws IOException {
    BodyFingerprint f = new BodyFingerprint(new ByteArrayInputStream(BODY));
    byte[] head = new byte[7];
    assertThat(f.read(head, 0, 7)).isEqualTo(7);
    f.close();
    assertThat(f.finish()).isEqualTo(expected(java.util.Arrays.copyOf(BODY, 7)));
    assertThat(f.markSupported()).isFalse();
  }

  @Test
  void countsZeroBytesReadOneByOne() throws IOException {
    byte[] zeros = new byte[3];
    BodyFingerprint f = new BodyFingerprint(new ByteArrayInputStream(zeros));
    for (int i = 0; i < zeros.length; i++) {
      assertThat(f.read()).isZero();
    }
    assertThat(f.finish()).isEqualTo(expected(zeros));
  }

  @Test
  void aLongSkipTakesExactlyWhatItAsksInSeveralReads() throws IOException {
    byte[] body = new byte[20_000];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) i;
    }
    BodyFingerprint f = new BodyFingerprint(new ByteArrayInputStream(body));
    assertThat(f.skip(10_000)).isEqualTo(10_000);
    assertThat(f.read()).isEqualTo(body[10_000] & 0xFF);
    assertThat(f.finish()).isEqualTo(expected(body));
  }

  @Test
  void closingClosesTheBodyBeneath() throws IOException {
    java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    BodyFingerprint f = new BodyFingerprint(new ByteArrayInputStream(BODY) {
      @Override
      public void close() {
        closed.set(true);
      }
    });
    f.close();
    assertThat(closed).isTrue();
  }
}
