package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.hindsight.server.ApiException;
import io.hindsight.server.http.BoundedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of the ingest path: body reading (JSON and NDJSON, plain and gzip, and
 * Smile) and record normalization against a real schema registry, judged by {@link IngestInvariants}.
 *
 * <p>Under plain {@code mvn test} Jazzer replays the seeds in
 * {@code src/test/resources/io/hindsight/server/ingest/IngestFuzzTestInputs/<method>/} and any
 * finding saved there; {@link #shortFuzzSessionFindsNothing()} then fuzzes each target for a few
 * seconds in a child JVM. {@code docs/FUZZING.md} describes the long sessions.
 *
 * <p>Limits are small here so that inputs of a few kilobytes reach every limit.
 */
class IngestFuzzTest {
  static final IngestLimits LIMITS = new IngestLimits(64 * 1024, 2048, 8, 24);

  private static IngestInvariants invariants;

  private static synchronized IngestInvariants invariants() {
    if (invariants == null) {
      invariants = new IngestInvariants(LIMITS);
    }
    return invariants;
  }

  /** Any bytes as a JSON body and as an NDJSON body. */
  @FuzzTest(maxDuration = "10m")
  void anyBody(byte[] body) throws IOException {
    invariants().check(new ByteArrayInputStream(body), false);
    invariants().check(new ByteArrayInputStream(body), true);
  }

  /**
   * Any bytes as a Smile body (Jackson's binary JSON), behind Smile's header when they lack it, so
   * that the fuzzer spends its time in the parser and the reader rather than on the first bytes.
   */
  @FuzzTest(maxDuration = "10m")
  void smileBody(byte[] body) throws IOException {
    byte[] header = {':', ')', '\n'};
    byte[] smile = body;
    if (body.length < 3 || body[0] != ':' || body[1] != ')' || body[2] != '\n') {
      smile = new byte[body.length + 3];
      System.arraycopy(header, 0, smile, 0, 3);
      System.arraycopy(body, 0, smile, 3, body.length);
    }
    invariants().check(new ByteArrayInputStream(smile), IngestService.Format.SMILE);
  }

  /**
   * Bodies sent with {@code Content-Encoding: gzip}, decoded as the HTTP layer does: the raw
   * body and the decompressed stream are both bounded by the body limit, so small inputs that
   * inflate past it (bombs) must end in a 413, never in memory growth.
   *
   * <p>Input layout: byte 0 picks the format (bit 0: NDJSON) and the mode (bits 1-2: 0 = the
   * rest is sent as is, a gzip stream to be decoded, 1 = the rest is gzipped, 2 = the rest is
   * repeated (byte 1) * 64 + 1 times and gzipped, a small bomb); the rest is the payload.
   */
  @FuzzTest(maxDuration = "10m")
  void gzipBody(byte[] input) throws IOException {
    if (input.length < 2) {
      return;
    }
    boolean ndjson = (input[0] & 1) != 0;
    int mode = (input[0] >> 1) & 3;
    byte[] payload = Arrays.copyOfRange(input, 2, input.length);
    // Never inflate more than four times the limit: enough to cross it, cheap to compress.
    int copies = Math.min((input[1] & 0xFF) * 64 + 1, (int) (4 * LIMITS.maxBodyBytes() / Math.max(1, payload.length)) + 1);
    byte[] wire;
    switch (mode) {
      case 1:
        wire = gzip(payload, 1);
        break;
      case 2:
        wire = gzip(payload, copies);
        break;
      default:
        wire = payload;
    }
    InputStream body;
    try {
      body = bounded(new GZIPInputStream(bounded(new ByteArrayInputStream(wire)), 64 * 1024));
    } catch (ZipException | java.io.EOFException e) {
      return; // the HTTP layer answers 400 "not valid gzip"
    }
    IngestInvariants.Verdict v = invariants().check(body, ndjson);
    if (mode == 2 && (long) payload.length * copies > LIMITS.maxBodyBytes()) {
      assertThat(v).as("a body that inflates past the limit").isNotEqualTo(IngestInvariants.Verdict.READ);
    }
  }

  /**
   * A bounded fuzz session inside the ordinary test run. Jazzer only fuzzes when {@code
   * JAZZER_FUZZ} is set, and only one target per JVM, so each target runs in its own child JVM
   * with that variable; corpus and findings stay under {@code target/fuzz/}. Skipped when this
   * JVM already fuzzes (a long session) or with {@code -Dhindsight.fuzz.seconds=0}.
   */
  @Test
  void shortFuzzSessionFindsNothing() throws Exception {
    assumeFalse(System.getenv("JAZZER_FUZZ") != null, "this JVM is itself a fuzz session");
    int seconds = Integer.getInteger("hindsight.fuzz.seconds", 5);
    assumeFalse(seconds <= 0, "short fuzz session turned off");
    FuzzSession.Result[] results = FuzzSession.runAll(seconds, "anyBody", "gzipBody", "smileBody");
    for (FuzzSession.Result r : results) {
      assertThat(r.exitCode())
          .as("fuzz target %s found a problem; finding saved under %s; log:%n%s", r.method(), r.workDir(), r.logTail())
          .isZero();
      assertThat(r.log()).as("fuzz target %s really fuzzed", r.method()).contains("Done ");
    }
  }

  static byte[] gzip(byte[] payload, int copies) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
        for (int i = 0; i < copies; i++) {
          gz.write(payload);
        }
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The HTTP layer's bound on the body, as the server applies it before and after gunzip. */
  private static InputStream bounded(InputStream in) {
    return new BoundedInputStream(
        in, LIMITS.maxBodyBytes(), () -> new ApiException(413, "the body is larger than the limit of " + LIMITS.maxBodyBytes() + " bytes"));
  }
}
