package io.hindsight.server.ingest;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Writes {@code src/test/resources/hostile-corpus/}: request bodies the server must refuse as a
 * whole with a 4xx (DESIGN §4: 400 unreadable, 413 over the size limit, 415 unknown type or
 * encoding), from a fixed seed so the folder is the same on every run.
 *
 * <p>A file's name says how to send it and what must come back: {@code
 * <kind>-<nnnn>-<status>-<what>.bin}, where {@link Kind} gives the Content-Type and
 * Content-Encoding of each kind. The bodies are mutations of valid records (truncations at every
 * structural position, byte flips, inserted control bytes and invalid UTF-8), non-JSON syntax,
 * wrong top-level values, deep nesting, corrupt gzip and gzip bombs, and valid bodies sent with an
 * unknown type or encoding.
 *
 * <p>Whether a JSON body must be refused is judged independently of the server: the body must not
 * be strict UTF-8 (a leading UTF-8 byte-order mark aside), or not one JSON value (an object or an
 * array) by a strict parser, or hold a lone surrogate. The server's own reader is then asked too;
 * a body it does not refuse is left out of the corpus and listed on stderr (and in {@code
 * target/hostile-corpus-disagreements/}) as a server bug to fix, after which it joins the corpus
 * on the next run.
 *
 * <p>Run: {@code java -cp <test classpath> io.hindsight.server.ingest.HostileCorpusGenerator
 * hindsight-server/src/test/resources/hostile-corpus} (see {@code docs/FUZZING.md}).
 */
public final class HostileCorpusGenerator {
  /** The body limit the corpus assumes; {@code HostileCorpusTest} starts its server with it. */
  public static final long MAX_BODY_BYTES = 1 << 20;

  private static final long SEED = 20_261_122L;
  private static final ObjectMapper STRICT =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** How a corpus file is sent. */
  public enum Kind {
    JSON("json", "application/json", null),
    NDJSON("ndjson", "application/x-ndjson", null),
    GZIP_JSON("gzip-json", "application/json", "gzip"),
    GZIP_NDJSON("gzip-ndjson", "application/x-ndjson", "gzip"),
    /** No Content-Type header: the server reads JSON. */
    NO_TYPE("notype", null, null),
    TEXT("text", "text/plain", null),
    XML("xml", "application/xml", null),
    FORM("form", "application/x-www-form-urlencoded", null),
    MULTIPART("multipart", "multipart/form-data; boundary=hindsight", null),
    CSV("csv", "text/csv", null),
    OCTET("octet", "application/octet-stream", null),
    JSON_SEQ("jsonseq", "application/json-seq", null),
    TEXT_JSON("textjson", "text/json", null),
    BR_JSON("br-json", "application/json", "br"),
    DEFLATE_JSON("deflate-json", "application/json", "deflate"),
    ZSTD_NDJSON("zstd-ndjson", "application/x-ndjson", "zstd"),
    DOUBLE_GZIP_JSON("gzipgzip-json", "application/json", "gzip, gzip");

    public final String prefix;
    public final String contentType;
    public final String contentEncoding;

    Kind(String prefix, String contentType, String contentEncoding) {
      this.prefix = prefix;
      this.contentType = contentType;
      this.contentEncoding = contentEncoding;
    }

    /** The kind a corpus file name starts with. */
    public static Kind ofFileName(String name) {
      Kind best = null;
      for (Kind k : values()) {
        if (name.startsWith(k.prefix + "-") && name.substring(k.prefix.length() + 1).matches("\\d{4}-.*")) {
          best = k;
        }
      }
      if (best == null) {
        throw new IllegalArgumentException("corpus file " + name + " does not start with a known kind");
      }
      return best;
    }
  }

  /** One corpus body. */
  public record Entry(Kind kind, int status, String what, byte[] body) {}

  private final Random random = new Random(SEED);
  private final List<Entry> entries = new ArrayList<>();
  private final List<Entry> disagreements = new ArrayList<>();
  private final Set<String> seen = new HashSet<>();
  private final BodyReader serverReader = new BodyReader(
      new IngestLimits(MAX_BODY_BYTES, IngestLimits.DEFAULTS.maxRecordBytes(), IngestLimits.DEFAULTS.maxDepth(),
          IngestLimits.DEFAULTS.maxKeys()));

  private static final String[] BASES = {
    "{\"prediction_id\": \"txn-123\", \"ts\": \"2026-11-22T10:15:00Z\", \"model_version\": \"v2.1.0\","
        + " \"request_id\": \"req-abc\", \"tags\": {\"env\": \"prod\", \"segment\": \"high_value\"},"
        + " \"data\": {\"credit_score\": 712, \"amount\": 129.5, \"features\": {\"txn_count_7d\": 3},"
        + " \"probabilities\": [0.13, 0.87], \"decision\": \"declined\"}}",
    "[{\"data\": {\"x\": 1, \"ok\": true}}, {\"data\": {\"x\": 2.5, \"s\": null}}, {\"ts\": 1795000000123,"
        + " \"data\": {\"x\": -3e2, \"list\": [1, \"two\", {\"three\": 3}]}}]",
    "{\"data\": {\"city\": \"Z\u00fcrich\", \"emoji\": \"\ud83d\ude00\", \"cjk\": \"\u4e88\u6e2c\","
        + " \"escaped\": \"tab\\tquote\\\"slash\\\\u\\u00e9\"}}",
    "{\"prediction_id\": \"p-9\", \"latency_ms\": 12.5, \"status\": \"error\", \"error\": \"timeout\","
        + " \"sample_rate\": 0.25, \"data\": {\"members\": [{\"m\": \"gbm\", \"p\": 0.91}, {\"m\": \"lr\", \"p\": 0.4}],"
        + " \"stage\": {\"a\": {\"b\": {\"c\": [[1, 2], [3, 4]]}}}}}",
    "[{\"prediction_id\": \"a\", \"data\": {\"label\": \"fraud\"}}, {\"prediction_id\": \"b\", \"data\": {\"label\": \"legit\"}}]",
    "{\"kind\": \"deploy\", \"text\": \"v2.1.0 rolled out\", \"data\": {\"version\": \"v2.1.0\"}}",
    "[{\"data\": {\"i\": 0}}, {\"data\": {\"i\": 1}}, {\"data\": {\"i\": 2}}, {\"data\": {\"i\": 3}},"
        + " {\"data\": {\"i\": 4}}, {\"data\": {\"i\": 5}}, {\"data\": {\"i\": 6}}, {\"data\": {\"i\": 7}}]",
  };

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "hindsight-server/src/test/resources/hostile-corpus");
    HostileCorpusGenerator g = new HostileCorpusGenerator();
    List<Entry> corpus = g.generate();
    Files.createDirectories(dir);
    try (Stream<Path> old = Files.list(dir)) {
      for (Path p : (Iterable<Path>) old.filter(p -> p.toString().endsWith(".bin"))::iterator) {
        Files.delete(p);
      }
    }
    long bytes = 0;
    for (int i = 0; i < corpus.size(); i++) {
      Entry e = corpus.get(i);
      Files.write(dir.resolve(fileName(e, i + 1)), e.body());
      bytes += e.body().length;
    }
    System.out.printf(Locale.ROOT, "wrote %d bodies, %d bytes, to %s%n", corpus.size(), bytes, dir);
    Path rejectedDir = Path.of(dir.toString().replace("src/test/resources", "target"))
        .resolveSibling("hostile-corpus-disagreements");
    if (!g.disagreements.isEmpty()) {
      Files.createDirectories(rejectedDir);
      for (int i = 0; i < g.disagreements.size(); i++) {
        Entry e = g.disagreements.get(i);
        Files.write(rejectedDir.resolve(fileName(e, i + 1)), e.body());
        System.err.printf(Locale.ROOT, "left out, the server does not refuse it: %s%n", fileName(e, i + 1));
      }
      System.err.printf(Locale.ROOT, "%d bodies left out; see %s%n", g.disagreements.size(), rejectedDir);
    }
  }

  static String fileName(Entry e, int n) {
    return String.format(Locale.ROOT, "%s-%04d-%d-%s.bin", e.kind().prefix, n, e.status(), e.what());
  }

  /** The corpus, in a fixed order. */
  List<Entry> generate() {
    structuralTruncations();
    byteFlips(220);
    insertedControlBytes(160);
    invalidUtf8(170);
    overlongAndSurrogates();
    nulBytes();
    deepNesting();
    wrongTopLevel();
    nonJsonSyntax();
    trailingGarbage();
    byteOrderMarks();
    emptyBodies();
    corruptGzip();
    gzipBombs();
    oversizeBodies();
    unknownTypesAndEncodings();
    return entries;
  }

  // ---- JSON mutations -------------------------------------------------------------------------

  private void structuralTruncations() {
    for (int b = 0; b < BASES.length; b++) {
      byte[] base = utf8(BASES[b]);
      for (int i = 0; i < base.length; i++) {
        if ("{}[],:\"".indexOf(base[i]) >= 0) {
          json("truncated-base" + b + "-at" + i, slice(base, i));
          json("truncated-base" + b + "-after" + i, slice(base, i + 1));
        }
      }
    }
  }

  private void byteFlips(int count) {
    int made = 0;
    while (made < count) {
      int b = random.nextInt(BASES.length);
      byte[] body = utf8(BASES[b]);
      int at = random.nextInt(body.length);
      byte value = (byte) random.nextInt(256);
      if (body[at] == value) {
        continue;
      }
      body[at] = value;
      if (json(String.format(Locale.ROOT, "byte-flip-base%d-at%d-to%02x", b, at, value & 0xFF), body)) {
        made++;
      }
    }
  }

  private void insertedControlBytes(int count) {
    int made = 0;
    while (made < count) {
      int b = random.nextInt(BASES.length);
      byte[] body = utf8(BASES[b]);
      int at = random.nextInt(body.length + 1);
      int c = random.nextInt(33);
      byte value = (byte) (c == 32 ? 0x7F : c);
      if (json(String.format(Locale.ROOT, "control-%02x-base%d-at%d", value, b, at), insert(body, at, new byte[] {value}))) {
        made++;
      }
    }
  }

  private static final byte[][] BAD_UTF8 = {
    {(byte) 0x80}, {(byte) 0xBF}, {(byte) 0xC3}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98},
    {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
    {(byte) 0xFE}, {(byte) 0xFF}, {(byte) 0xC3, (byte) 0x28}, {(byte) 0xE2, (byte) 0x28, (byte) 0xA1},
    {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xA0, (byte) 0xA1},
  };

  private void invalidUtf8(int count) {
    int made = 0;
    while (made < count) {
      int b = random.nextInt(BASES.length);
      byte[] body = utf8(BASES[b]);
      int s = random.nextInt(BAD_UTF8.length);
      int at = random.nextInt(body.length + 1);
      if (json(String.format(Locale.ROOT, "invalid-utf8-seq%d-base%d-at%d", s, b, at), insert(body, at, BAD_UTF8[s]))) {
        made++;
      }
    }
  }

  private void overlongAndSurrogates() {
    byte[][] overlong = {
      {(byte) 0xC0, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xC1, (byte) 0xBF},
      {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x9F, (byte) 0xBF},
      {(byte) 0xF0, (byte) 0x80, (byte) 0x80, (byte) 0xAF}, {(byte) 0xF0, (byte) 0x8F, (byte) 0xBF, (byte) 0xBF},
      {(byte) 0xC0, (byte) 0xA2}, {(byte) 0xE0, (byte) 0x80, (byte) 0xA2},
    };
    byte[][] rawSurrogates = {
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xED, (byte) 0xAF, (byte) 0xBF}, {(byte) 0xED, (byte) 0xB0, (byte) 0x80},
      {(byte) 0xED, (byte) 0xBF, (byte) 0xBF}, {(byte) 0xED, (byte) 0xA0, (byte) 0xBD, (byte) 0xED, (byte) 0xB8, (byte) 0x80},
    };
    String[] places = {
      "{\"data\": {\"s\": \"a%sb\"}}", "{\"data\": {\"k%s\": 1}}", "[{\"data\": {\"x\": 1}}, {\"data\": {\"s\": \"%s\"}}]",
      "{\"prediction_id\": \"%s\", \"data\": {}}", "{\"data\": {\"x\": 1}}%s", "%s{\"data\": {}}",
    };
    for (int o = 0; o < overlong.length; o++) {
      for (int p = 0; p < places.length; p++) {
        json("overlong-utf8-" + o + "-place" + p, place(places[p], overlong[o]));
      }
    }
    for (int s = 0; s < rawSurrogates.length; s++) {
      for (int p = 0; p < places.length; p++) {
        json("raw-surrogate-" + s + "-place" + p, place(places[p], rawSurrogates[s]));
      }
    }
    String[] escaped = {"\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud800\\u0041", "\\udc00\\ud800", "x\\ud83d", "\\ud83d\\ud83d"};
    for (int e = 0; e < escaped.length; e++) {
      for (int p = 0; p < 4; p++) {
        json("escaped-lone-surrogate-" + e + "-place" + p, place(places[p], utf8(escaped[e])));
      }
    }
  }

  private void nulBytes() {
    byte[] nul = {0};
    for (int b = 0; b < BASES.length; b++) {
      byte[] body = utf8(BASES[b]);
      json("nul-start-base" + b, insert(body, 0, nul));
      json("nul-end-base" + b, insert(body, body.length, nul));
      json("nul-middle-base" + b, insert(body, body.length / 2, nul));
      json("nul-in-string-base" + b, insert(body, indexOf(body, (byte) '"') + 1, nul));
    }
    json("nul-only", new byte[] {0});
    json("nuls-4", new byte[4]);
    json("nuls-64", new byte[64]);
    json("utf32-shaped-nuls", concat(new byte[10], utf8(": 1}},")));
  }

  private void deepNesting() {
    json("array-depth-10000-unclosed", utf8("[".repeat(10_000)));
    json("array-depth-10000-wrong-closer", utf8("[".repeat(10_000) + "}".repeat(10_000)));
    json("array-depth-10000-one-closer-short", utf8("[".repeat(10_000) + "]".repeat(9_999)));
    json("record-data-depth-10000-unclosed", utf8("{\"data\": {\"x\": " + "[".repeat(10_000)));
    json("array-depth-200000", utf8("[".repeat(200_000) + "]".repeat(200_000)));
    json("array-depth-200000-unclosed", utf8("[".repeat(200_000)));
    json("record-data-depth-200000", utf8("{\"data\": {\"x\": " + "[".repeat(200_000) + "]".repeat(200_000) + "}}"));
    json("object-depth-150000", utf8("{\"a\":".repeat(150_000) + "1" + "}".repeat(150_000)));
    json("mixed-depth-150000", utf8("[{\"a\":".repeat(75_000) + "1" + "}]".repeat(75_000)));
    ndjsonKind(Kind.NO_TYPE, 400, "array-depth-200000-no-type", utf8("[".repeat(200_000) + "]".repeat(200_000)));
  }

  private void wrongTopLevel() {
    String[] values = {
      "\"just a string\"", "\"\"", "123", "-0", "0.5", "1e400", "-1e400", "1e-400", "1E+99999999", "-1e-99999999",
      "9".repeat(2000), "1." + "0".repeat(1500) + "1", "true", "false", "null", "\"{\\\"data\\\": {}}\"",
      "123456789012345678901234567890", "1e308", "42 ", " \"x\" ", "0", "-1", "3.14159", "\"\\u0000\"", "1e400]",
    };
    for (int i = 0; i < values.length; i++) {
      json("top-level-" + i + "-" + slug(values[i]), utf8(values[i]));
    }
    for (String v : new String[] {"1e400", "\"a string\"", "true", "null", "[1e400]"}) {
      ndjsonKind(Kind.NO_TYPE, 400, "top-level-" + slug(v) + "-no-type", utf8(v));
    }
  }

  private void nonJsonSyntax() {
    String[] bodies = {
      "{\"data\": {\"x\": 1}, }", "[{\"data\": {\"x\": 1}},]", "{\"data\": {\"x\": [1, 2,]}}", "{data: {x: 1}}",
      "{\"data\": {x: 1}}", "{'data': {'x': 1}}", "{\"data\": {\"x\": 'one'}}", "{\"data\": {\"x\": NaN}}",
      "{\"data\": {\"x\": Infinity}}", "{\"data\": {\"x\": -Infinity}}", "{\"data\": {\"x\": +1}}", "{\"data\": {\"x\": .5}}",
      "{\"data\": {\"x\": 1.}}", "{\"data\": {\"x\": 01}}", "{\"data\": {\"x\": 0x10}}", "{\"data\": {\"x\": 1e}}",
      "{\"data\": {\"x\": -}}", "{\"data\": {\"x\": 1_000}}", "{\"data\": {\"x\": undefined}}", "{\"data\": {\"x\": None}}",
      "{\"data\": {\"x\": True}}", "{\"data\": {\"x\": nul}}", "{\"data\": {\"x\": tru}}", "{\"data\": {\"x\": new Date()}}",
      "// comment\n{\"data\": {}}", "{\"data\": {} /* comment */}", "# comment\n{\"data\": {}}", "{\"data\": {\"x\": 1 // c\n}}",
      "{\"data\" {\"x\": 1}}", "{\"data\": {\"x\" 1}}", "{\"data\": {\"x\": 1 \"y\": 2}}", "{\"data\":: {}}",
      "{\"data\": {\"x\": 1}}}", "[{\"data\": {}}]]", "{\"data\": {\"x\": \"unterminated}}", "{\"data\": {\"x\": \"bad \\q escape\"}}",
      "{\"data\": {\"x\": \"\\u12\"}}", "{\"data\": {\"x\": \"\\uZZZZ\"}}", "{\"data\": {\"x\": \"\\\"}}", "{\"data\": {\"x\": \"tab\there\"}}",
      "{\"data\": {\"x\": \"new\nline\"}}", "{,}", "[,]", "{\"a\"}", "{:1}", "{\"data\": {1: 2}}", "{\"data\": {null: 2}}",
      "{\"data\": {\"x\": [}}", "{\"data\": {\"x\": {]}}", "[}", "{]", "<data><x>1</x></data>", "data=1&x=2", "x,y\n1,2",
      "{\"data\": {\"x\": \"\u00e9\"}} \u00e9", "{\"data\": {\"x\": `1`}}", "{\"data\": {\"x\": 1e+}}", "{\"data\": {\"x\": --1}}",
      "{\"data\": {\"x\": 1..2}}", "{\"data\": {\"x\": 1e1.5}}", "(1)", "{\"data\": {\"x\": [1 2]}}",
    };
    for (int i = 0; i < bodies.length; i++) {
      json("syntax-" + i + "-" + slug(bodies[i]), utf8(bodies[i]));
    }
  }

  private void trailingGarbage() {
    String[] tails = {"x", "]", "}", "{\"data\": {}}", "\n{\"data\": {}}\n", ",", "null", "1", "\"s\"", "[]", "//", "\u00e9", ";"};
    for (int t = 0; t < tails.length; t++) {
      for (int b : new int[] {0, 1, 5}) {
        json("trailing-" + t + "-base" + b + "-" + slug(tails[t]), utf8(BASES[b] + tails[t]));
      }
    }
    json("ndjson-sent-as-json", utf8("{\"data\": {\"x\": 1}}\n{\"data\": {\"x\": 2}}\n"));
    ndjsonKind(Kind.NO_TYPE, 400, "ndjson-sent-without-type", utf8("{\"data\": {\"x\": 1}}\n{\"data\": {\"x\": 2}}\n"));
  }

  private void byteOrderMarks() {
    byte[] bom8 = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[][] foreign = {
      {(byte) 0xFE, (byte) 0xFF}, {(byte) 0xFF, (byte) 0xFE}, {0, 0, (byte) 0xFE, (byte) 0xFF}, {(byte) 0xFF, (byte) 0xFE, 0, 0},
      {(byte) 0xEF, (byte) 0xBB}, {(byte) 0xEF},
    };
    for (int b : new int[] {0, 1, 2}) {
      byte[] body = utf8(BASES[b]);
      json("utf8-bom-twice-base" + b, concat(bom8, concat(bom8, body)));
      json("utf8-bom-after-value-base" + b, concat(body, bom8));
      json("utf8-bom-inside-base" + b, insert(body, 1, bom8));
      for (int f = 0; f < foreign.length; f++) {
        json("foreign-bom-" + f + "-utf8-body-base" + b, concat(foreign[f], body));
      }
    }
    json("utf8-bom-only", bom8);
    json("utf16be-bom-truncated-unit", concat(new byte[] {(byte) 0xFE, (byte) 0xFF}, new byte[] {0, '{', 0}));
    json("utf16le-bom-lone-surrogate", new byte[] {(byte) 0xFF, (byte) 0xFE, '[', 0, 0, (byte) 0xD8, ']', 0});
    json("utf32be-bom-invalid-char", new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF, 0x7F, 0x7F, 0x7F, 0x7F});
    json("ucs4-2143-shaped", new byte[] {0, 0, 8, 0, 0, (byte) 0xFD, 0, '}'});
    json("ucs4-3412-shaped", new byte[] {0, '{', 0, 0, 0, 0, 0, 0});
  }

  private void emptyBodies() {
    for (String s : new String[] {"", " ", "\n", "\r\n", "\t \t", "   \n\n   "}) {
      json("empty-" + slug(s.isEmpty() ? "nothing" : s.replace(" ", "sp").replace("\n", "lf").replace("\r", "cr").replace("\t", "tab")), utf8(s));
    }
    ndjsonKind(Kind.NO_TYPE, 400, "empty-no-type", new byte[0]);
  }

  // ---- gzip -----------------------------------------------------------------------------------

  private void corruptGzip() {
    for (int b = 0; b < BASES.length; b++) {
      byte[] plain = utf8(BASES[b]);
      byte[] ndjson = utf8(BASES[0] + "\n" + BASES[3] + "\n" + BASES[5] + "\n");
      for (Kind kind : new Kind[] {Kind.GZIP_JSON, Kind.GZIP_NDJSON}) {
        byte[] gz = gzip(kind == Kind.GZIP_JSON ? plain : ndjson);
        String k = kind == Kind.GZIP_JSON ? "base" + b : "lines" + b;
        for (int cut : new int[] {0, 1, 2, 9, 10, gz.length / 3, gz.length / 2, gz.length - 9, gz.length - 8, gz.length - 4, gz.length - 1}) {
          gzipKind(kind, "gzip-truncated-" + k + "-at" + cut, slice(gz, cut));
        }
        byte[] badCrc = gz.clone();
        badCrc[gz.length - 8] ^= 0x5A;
        gzipKind(kind, "gzip-bad-crc-" + k, badCrc);
        byte[] badSize = gz.clone();
        badSize[gz.length - 4] ^= 0x01;
        gzipKind(kind, "gzip-bad-isize-" + k, badSize);
        byte[] badMagic = gz.clone();
        badMagic[1] = 0x00;
        gzipKind(kind, "gzip-bad-magic-" + k, badMagic);
        byte[] badMethod = gz.clone();
        badMethod[2] = 7;
        gzipKind(kind, "gzip-bad-method-" + k, badMethod);
        for (int f = 0; f < 4; f++) {
          byte[] flipped = gz.clone();
          int at = 10 + random.nextInt(gz.length - 18);
          flipped[at] ^= (byte) (1 + random.nextInt(255));
          gzipKind(kind, "gzip-flipped-deflate-" + k + "-at" + at, flipped);
        }
        if (b == 0) {
          gzipKind(kind, "not-gzip-plain-body-" + k, kind == Kind.GZIP_JSON ? plain : ndjson);
          gzipKind(kind, "gzip-header-only-" + k, slice(gz, 10));
          gzipKind(kind, "gzip-reserved-flag-" + k, withByte(gz, 3, (byte) 0xE0));
          gzipKind(kind, "zlib-not-gzip-" + k, deflate(kind == Kind.GZIP_JSON ? plain : ndjson));
          gzipKind(kind, "random-bytes-" + k, randomBytes(200));
        }
      }
      // Decodes fine, but what it holds is not a JSON body.
      gzipKind(Kind.GZIP_JSON, "gzip-of-truncated-json-base" + b, gzip(slice(plain, plain.length / 2)));
      gzipKind(Kind.GZIP_JSON, "gzip-of-gzip-base" + b, gzip(gzip(plain)));
    }
    gzipKind(Kind.GZIP_JSON, "gzip-of-empty-body", gzip(new byte[0]));
    gzipKind(Kind.GZIP_JSON, "gzip-of-invalid-utf8", gzip(place("{\"data\": {\"s\": \"%s\"}}", new byte[] {(byte) 0xC0, (byte) 0x80})));
    gzipKind(Kind.GZIP_JSON, "gzip-of-top-level-number", gzip(utf8("1e400")));
    gzipKind(Kind.GZIP_JSON, "gzip-of-deep-array-200000", gzip(utf8("[".repeat(200_000) + "]".repeat(200_000))));
    gzipKind(Kind.GZIP_JSON, "gzip-empty-body", new byte[0]);
    gzipKind(Kind.GZIP_NDJSON, "gzip-empty-body", new byte[0]);
  }

  private void gzipBombs() {
    long limit = MAX_BODY_BYTES;
    bomb(Kind.GZIP_JSON, 413, "bomb-spaces-limit-plus-1", limit + 1, " ", "", "");
    bomb(Kind.GZIP_JSON, 413, "bomb-spaces-2mib", 2 * limit, " ", "", "");
    bomb(Kind.GZIP_JSON, 413, "bomb-valid-records-2mib", 2 * limit, "{\"data\": {\"x\": 1}},", "[", "{\"data\": {}}]");
    bomb(Kind.GZIP_JSON, 413, "bomb-one-huge-string-3mib", 3 * limit, "a", "{\"data\": {\"s\": \"", "\"}}");
    bomb(Kind.GZIP_JSON, 413, "bomb-whitespace-then-record-64mib", 64 * limit, "\n", "", "{\"data\": {}}");
    bomb(Kind.GZIP_JSON, 413, "bomb-array-of-numbers-256mib", 256 * limit, "0,", "[", "0]");
    bomb(Kind.GZIP_NDJSON, 413, "bomb-valid-lines-2mib", 2 * limit, "{\"data\": {\"x\": 1}}\n", "", "");
    bomb(Kind.GZIP_NDJSON, 413, "bomb-blank-lines-16mib", 16 * limit, "\n", "", "");
    bomb(Kind.GZIP_NDJSON, 413, "bomb-one-long-line-8mib", 8 * limit, "x", "", "\n");
    bomb(Kind.GZIP_NDJSON, 413, "bomb-zeros-256mib", 256 * limit, "\0", "", "");
    // Bombs whose first bytes are already unreadable: refused at once, before the limit.
    bomb(Kind.GZIP_JSON, 400, "bomb-zeros-4mib-unreadable-at-once", 4 * limit, "\0", "", "");
    bomb(Kind.GZIP_JSON, 400, "bomb-zeros-256mib-unreadable-at-once", 256 * limit, "\0", "", "");
    bomb(Kind.GZIP_JSON, 400, "bomb-deep-array-64mib-too-deep-first", 64 * limit, "[", "", "");
    // Two gzip members, each under the limit, together over it.
    byte[] half = gzipRepeated(utf8(" "), limit / 2 + 10, utf8("["), utf8(""));
    byte[] rest = gzipRepeated(utf8("{\"data\": {}},"), limit / 2 + 10, utf8(""), utf8("{\"data\": {}}]"));
    add(new Entry(Kind.GZIP_JSON, 413, "bomb-two-members-over-limit", concat(half, rest)));
  }

  private void bomb(Kind kind, int status, String what, long size, String unit, String head, String tail) {
    add(new Entry(kind, status, what, gzipRepeated(utf8(unit), size, utf8(head), utf8(tail))));
  }

  private void oversizeBodies() {
    StringBuilder records = new StringBuilder("[");
    while (records.length() <= MAX_BODY_BYTES) {
      records.append("{\"data\": {\"x\": 1, \"s\": \"").append("p".repeat(200)).append("\"}},");
    }
    records.append("{\"data\": {}}]");
    add(new Entry(Kind.JSON, 413, "valid-records-over-limit", utf8(records.toString())));
    StringBuilder lines = new StringBuilder();
    while (lines.length() <= MAX_BODY_BYTES) {
      lines.append("{\"data\": {\"x\": 1, \"s\": \"").append("q".repeat(200)).append("\"}}\n");
    }
    add(new Entry(Kind.NDJSON, 413, "valid-lines-over-limit", utf8(lines.toString())));
  }

  private void unknownTypesAndEncodings() {
    Kind[] types = {Kind.TEXT, Kind.XML, Kind.FORM, Kind.MULTIPART, Kind.CSV, Kind.OCTET, Kind.JSON_SEQ, Kind.TEXT_JSON};
    String[] bodies = {BASES[0], BASES[1], "{\"data\": {\"x\": 1}}\n{\"data\": {\"x\": 2}}\n", "", "<x/>"};
    for (Kind t : types) {
      for (int b = 0; b < bodies.length; b++) {
        add(new Entry(t, 415, "unknown-type-body" + b, utf8(bodies[b])));
      }
    }
    for (Kind e : new Kind[] {Kind.BR_JSON, Kind.DEFLATE_JSON, Kind.ZSTD_NDJSON, Kind.DOUBLE_GZIP_JSON}) {
      add(new Entry(e, 415, "unknown-encoding-plain", utf8(BASES[0])));
      add(new Entry(e, 415, "unknown-encoding-deflated", deflate(utf8(BASES[1]))));
      add(new Entry(e, 415, "unknown-encoding-gzipped", gzip(utf8(BASES[2]))));
    }
  }

  // ---- judging --------------------------------------------------------------------------------

  /** Adds a JSON body if it must be refused; returns whether it was new and added. */
  private boolean json(String what, byte[] body) {
    if (!mustRefuseJson(body)) {
      return false;
    }
    return judgedByServer(new Entry(Kind.JSON, 400, what, body), false, body);
  }

  private void ndjsonKind(Kind kind, int status, String what, byte[] body) {
    if (mustRefuseJson(body)) {
      judgedByServer(new Entry(kind, status, what, body), false, body);
    }
  }

  /** A gzip body: must be refused when it does not decode, or decodes to a JSON body that must be. */
  private void gzipKind(Kind kind, String what, byte[] wire) {
    byte[] decoded;
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(wire))) {
      decoded = in.readAllBytes();
    } catch (IOException e) {
      add(new Entry(kind, 400, what, wire));
      return;
    }
    if (kind == Kind.GZIP_JSON && decoded.length <= MAX_BODY_BYTES && mustRefuseJson(decoded)) {
      judgedByServer(new Entry(kind, 400, what, wire), false, decoded);
    }
  }

  private boolean judgedByServer(Entry e, boolean ndjson, byte[] plain) {
    if (!seen.add(kind(e) + digest(e.body()))) {
      return false;
    }
    boolean refused;
    try {
      refused = false;
      if (ndjson) {
        serverReader.readNdjson(new ByteArrayInputStream(plain));
      } else {
        serverReader.readJson(new ByteArrayInputStream(plain));
      }
    } catch (io.hindsight.server.ApiException ex) {
      refused = ex.status() == e.status();
    } catch (IOException | RuntimeException ex) {
      refused = false; // the server would answer 500
    }
    if (refused) {
      entries.add(e);
    } else {
      disagreements.add(e);
    }
    return refused;
  }

  private void add(Entry e) {
    if (seen.add(kind(e) + digest(e.body()))) {
      entries.add(e);
    }
  }

  private static String kind(Entry e) {
    return e.kind().prefix + "/";
  }

  /**
   * Whether a body cannot be read as a JSON request at all: not strict UTF-8 (a leading UTF-8
   * byte-order mark aside), not exactly one JSON value, not an object or array at the top, or a
   * string or key holding a lone surrogate.
   */
  static boolean mustRefuseJson(byte[] body) {
    int start = body.length >= 3 && (body[0] & 0xFF) == 0xEF && (body[1] & 0xFF) == 0xBB && (body[2] & 0xFF) == 0xBF ? 3 : 0;
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body, start, body.length - start))
          .toString();
    } catch (CharacterCodingException e) {
      return true;
    }
    JsonNode root;
    try {
      root = STRICT.readTree(text);
    } catch (IOException | RuntimeException e) {
      return true;
    }
    if (root == null || root.isMissingNode() || !(root.isObject() || root.isArray())) {
      return true;
    }
    return hasLoneSurrogate(root);
  }

  private static boolean hasLoneSurrogate(JsonNode node) {
    if (node.isTextual()) {
      return loneSurrogate(node.textValue());
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      if (loneSurrogate(f.getKey()) || hasLoneSurrogate(f.getValue())) {
        return true;
      }
    }
    if (node.isArray()) {
      for (JsonNode c : node) {
        if (hasLoneSurrogate(c)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean loneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return true;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  // ---- bytes ----------------------------------------------------------------------------------

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] slice(byte[] b, int end) {
    return java.util.Arrays.copyOf(b, Math.max(0, Math.min(end, b.length)));
  }

  private static byte[] insert(byte[] b, int at, byte[] what) {
    byte[] out = new byte[b.length + what.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(what, 0, out, at, what.length);
    System.arraycopy(b, at, out, at + what.length, b.length - at);
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    return insert(a, a.length, b);
  }

  private static byte[] withByte(byte[] b, int at, byte value) {
    byte[] out = b.clone();
    out[at] = value;
    return out;
  }

  private static byte[] place(String template, byte[] what) {
    int at = template.indexOf("%s");
    return insert(utf8(template.replace("%s", "")), utf8(template.substring(0, at)).length, what);
  }

  private static int indexOf(byte[] b, byte v) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == v) {
        return i;
      }
    }
    return 0;
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static String slug(String s) {
    String t = s.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "");
    t = t.length() > 24 ? t.substring(0, 24) : t;
    return t.isEmpty() ? "symbols" : t.toLowerCase(Locale.ROOT);
  }

  static byte[] gzip(byte[] data) {
    return gzipRepeated(data, data.length, new byte[0], new byte[0]);
  }

  /** gzip of head, then unit repeated to about {@code size} bytes, then tail; mtime 0 for stable output. */
  private static byte[] gzipRepeated(byte[] unit, long size, byte[] head, byte[] tail) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
        gz.write(head);
        if (unit.length > 0) {
          byte[] chunk = new byte[Math.max(unit.length, (64 * 1024 / unit.length) * unit.length)];
          for (int i = 0; i < chunk.length; i++) {
            chunk[i] = unit[i % unit.length];
          }
          long written = 0;
          while (written < size) {
            long left = size - written;
            int n = (int) Math.max(unit.length, Math.min(chunk.length, left - left % unit.length));
            gz.write(chunk, 0, n);
            written += n;
          }
        }
        gz.write(tail);
      }
      return out.toByteArray(); // java.util.zip writes mtime 0 already
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] deflate(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (java.util.zip.DeflaterOutputStream d = new java.util.zip.DeflaterOutputStream(out)) {
      d.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static String digest(byte[] b) {
    try {
      return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
