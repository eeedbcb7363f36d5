package io.hindsight.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.files.FileSync;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys of a data folder, in {@code auth/keys.json}, plus any listed in the config file.
 * Changes made by {@code hindsight keys} or the admin API land in the file and are picked up by a
 * running server within a second, so a revoked key stops working without a restart. Writers take
 * a file lock, so the command line and the server never overwrite each other.
 *
 * <p>Once the file held keys, a file that goes missing or cannot be read fails closed: every key
 * check reports {@link #unavailable()} until the file is back, so moving the file away never opens
 * the server.
 */
public final class ApiKeys {
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
  /** How often a running server looks at the key file for changes by default. */
  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofMillis(500);

  private final Path file;
  private final List<ApiKey> configured;
  private final Clock clock;
  private final long reloadIntervalMillis;
  private final ObjectMapper json = new ObjectMapper();
  private volatile Map<String, ApiKey> byId = Map.of();
  private volatile long loadedModified = -1;
  private volatile long lastCheck = Long.MIN_VALUE;
  /** The file held keys when last read: its disappearance then fails closed instead of open. */
  private volatile boolean fileHadKeys;
  /** Why the keys cannot be trusted right now, or null. */
  private volatile String unavailable;

  /** A key just created: the secret text, shown once, and its stored entry. */
  public record Created(String key, ApiKey entry) {}

  public ApiKeys(Path dataDir, List<ApiKey> configured) {
    this(dataDir, configured, Clock.systemUTC(), DEFAULT_RELOAD_INTERVAL);
  }

  /**
   * @param reloadInterval how often the key file is checked for changes (default 500 ms); zero
   *     checks it on every call
   */
  public ApiKeys(Path dataDir, List<ApiKey> configured, Clock clock, Duration reloadInterval) {
    this.file = dataDir.resolve("auth").resolve("keys.json");
    this.configured = List.copyOf(configured);
    this.clock = clock;
    this.reloadIntervalMillis = reloadInterval.toMillis();
    reload();
  }

  /**
   * Whether keys are in force: any key exists (revoked ones included), or the key file is
   * {@link #unavailable()}. Then every /v1 call needs a key.
   */
  public boolean enabled() {
    refreshIfChanged();
    return !byId.isEmpty() || unavailable != null;
  }

  /**
   * Why no key can be checked right now (the key file went missing or cannot be read after it
   * held keys), or null when the keys are fine.
   */
  public String unavailable() {
    refreshIfChanged();
    return unavailable;
  }

  /** The key a bearer token names, if the token is exactly right and the key not revoked. */
  public Optional<ApiKey> authenticate(String token) {
    refreshIfChanged();
    if (token == null || !token.startsWith("hs_") || token.length() > 200) {
      return Optional.empty();
    }
    int sep = token.indexOf('_', 3);
    if (sep < 0) {
      return Optional.empty();
    }
    String id = token.substring(3, sep);
    if (!byId.containsKey(id)) {
      // A key created a moment ago by the command line: look at the file now, not in a second.
      lastCheck = Long.MIN_VALUE;
      refreshIfChanged();
    }
    if (unavailable != null) {
      return Optional.empty();
    }
    ApiKey k = byId.get(id);
    byte[] expected = k == null ? new byte[32] : HexFormat.of().parseHex(k.hash());
    byte[] actual = hash(k == null ? "" : k.salt(), token.substring(sep + 1));
    boolean match = MessageDigest.isEqual(expected, actual);
    return match && k != null && !k.revoked() ? Optional.of(k) : Optional.empty();
  }

  public List<ApiKey> list() {
    refreshIfChanged();
    return new ArrayList<>(byId.values());
  }

  /** Creates a key in the keys file and returns its secret text, which is not stored anywhere. */
  public Created create(String name, Set<Scope> scopes, List<String> endpoints) throws IOException {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
      throw new IllegalArgumentException("a key name is 1 to 64 letters, digits, '_', '.' or '-'");
    }
    if (scopes.isEmpty()) {
      throw new IllegalArgumentException("give the key at least one scope: write, read or admin");
    }
    String id = random(12);
    String secret = random(32);
    String salt = random(16);
    ApiKey entry =
        new ApiKey(
            id, name, salt, HexFormat.of().formatHex(hash(salt, secret)), EnumSet.copyOf(scopes), List.copyOf(endpoints),
            Instant.now().toString(), false);
    update(
        keys -> {
          if (keys.values().stream().anyMatch(k -> k.name().equals(name) && !k.revoked())) {
            throw new IllegalArgumentException("a key named '" + name + "' exists; revoke it first or pick another name");
          }
          keys.put(id, entry);
        });
    return new Created("hs_" + id + "_" + secret, entry);
  }

  /** Revokes every live key with this name; returns how many. */
  public int revoke(String name) throws IOException {
    int[] n = {0};
    update(
        keys ->
            keys.replaceAll(
                (id, k) -> {
                  if (k.name().equals(name) && !k.revoked()) {
                    n[0]++;
                    return k.revoke();
                  }
                  return k;
                }));
    return n[0];
  }

  private interface Change {
    void apply(Map<String, ApiKey> keys);
  }

  private void update(Change change) throws IOException {
    OwnerOnly.createDirectories(file.getParent());
    try (FileChannel lockFile =
            FileChannel.open(file.resolveSibling("keys.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.lock()) {
      Map<String, ApiKey> keys = readFile();
      change.apply(keys);
      FileSync.writeAtomically(file, write(keys));
      OwnerOnly.restrict(file);
    }
    reload();
  }

  private void refreshIfChanged() {
    long now = clock.millis();
    if (lastCheck != Long.MIN_VALUE && now - lastCheck < reloadIntervalMillis) {
      return;
    }
    lastCheck = now;
    try {
      long modified = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() : 0;
      // A restored file may carry its old time stamp: after a failure, always read it again.
      if (modified != loadedModified || unavailable != null) {
        refresh();
      }
    } catch (IOException e) {
      failClosed("cannot be read (" + e.getMessage() + ")");
    }
  }

  /** Reads the file again on a running server; a missing or unreadable file fails closed. */
  private synchronized void refresh() {
    if (!Files.exists(file) && fileHadKeys) {
      failClosed("is missing");
      return;
    }
    try {
      load();
    } catch (IOException e) {
      failClosed("cannot be read (" + e.getMessage() + ")");
      return;
    }
    if (unavailable != null) {
      log.warn("API key file {} is readable again; keys are checked as before", file);
      unavailable = null;
    }
  }

  private void failClosed(String why) {
    String reason =
        "the API key file " + file + " " + why + "; every /v1 call is refused until it is restored"
            + " (restore it from a backup, or restart the server to run without keys on loopback only)";
    if (!reason.equals(unavailable)) {
      log.error(reason);
    }
    unavailable = reason;
  }

  /** Reads the file at start-up or after a change made here; an unreadable file is an error. */
  private synchronized void reload() {
    try {
      load();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read API keys from " + file + ": " + e.getMessage(), e);
    }
  }

  private void load() throws IOException {
    long modified = Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() : 0;
    Map<String, ApiKey> fromFile = readFile();
    Map<String, ApiKey> all = new LinkedHashMap<>();
    configured.forEach(k -> all.put(k.id(), k));
    all.putAll(fromFile);
    byId = Map.copyOf(all);
    loadedModified = modified;
    fileHadKeys |= !fromFile.isEmpty();
  }

  private Map<String, ApiKey> readFile() throws IOException {
    Map<String, ApiKey> keys = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return keys;
    }
    JsonNode root = json.readTree(file.toFile());
    for (JsonNode k : root.path("keys")) {
      ApiKey key = fromJson(k);
      keys.put(key.id(), key);
    }
    return keys;
  }

  /** Reads one key entry, as stored in keys.json or written in the config file. */
  public static ApiKey fromJson(JsonNode k) {
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    k.path("scopes").forEach(s -> scopes.add(Scope.parse(s.asText())));
    List<String> endpoints = new ArrayList<>();
    k.path("endpoints").forEach(e -> endpoints.add(e.asText()));
    return new ApiKey(
        k.path("id").asText(),
        k.path("name").asText(),
        k.path("salt").asText(),
        k.path("hash").asText(),
        scopes,
        endpoints,
        k.path("created").asText(""),
        k.path("revoked").asBoolean(false));
  }

  private byte[] write(Map<String, ApiKey> keys) throws IOException {
    ObjectNode root = json.createObjectNode();
    ArrayNode arr = root.putArray("keys");
    for (ApiKey k : keys.values()) {
      arr.add(toJson(k));
    }
    return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
  }

  /** A key entry without its secret, for listings and the config file. */
  public ObjectNode toJson(ApiKey k) {
    ObjectNode o = json.createObjectNode();
    o.put("id", k.id()).put("name", k.name()).put("salt", k.salt()).put("hash", k.hash());
    ArrayNode s = o.putArray("scopes");
    k.scopes().forEach(sc -> s.add(sc.wireName()));
    ArrayNode e = o.putArray("endpoints");
    k.endpoints().forEach(e::add);
    o.put("created", k.created()).put("revoked", k.revoked());
    return o;
  }

  private static byte[] hash(String salt, String secret) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(salt.getBytes(StandardCharsets.UTF_8));
      d.update((byte) 0);
      return d.digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String random(int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }
}
