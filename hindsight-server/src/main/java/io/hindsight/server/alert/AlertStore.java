package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.files.FileSync;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The alert configuration on disk, one JSON object per file, each written whole: {@code
 * rules.json} and {@code notifiers.json} (name → the object {@code PUT} took) and {@code
 * silences.json} (rule → until).
 */
final class AlertStore {
  private final Path dir;

  AlertStore(Path dir) throws IOException {
    this.dir = dir;
    FileSync.createDirectoriesDurably(dir);
  }

  Map<String, Notifier> loadNotifiers() throws IOException {
    return load("notifiers.json", Notifier::fromJson);
  }

  Map<String, AlertRule> loadRules() throws IOException {
    return load("rules.json", AlertRule::fromJson);
  }

  Map<String, Instant> loadSilences() throws IOException {
    return load(
        "silences.json",
        (rule, until) -> {
          try {
            return Instant.parse(until.asText());
          } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("silence of '" + rule + "': until is not a time: " + until);
          }
        });
  }

  void saveNotifiers(Collection<Notifier> notifiers) throws IOException {
    ObjectNode json = AlertPayloads.JSON.createObjectNode();
    notifiers.forEach(n -> json.set(n.name(), n.toJson()));
    write("notifiers.json", json);
  }

  void saveRules(Collection<AlertRule> rules) throws IOException {
    ObjectNode json = AlertPayloads.JSON.createObjectNode();
    rules.forEach(r -> json.set(r.name(), r.toJson()));
    write("rules.json", json);
  }

  void saveSilences(Map<String, Instant> silences) throws IOException {
    ObjectNode json = AlertPayloads.JSON.createObjectNode();
    silences.forEach((rule, until) -> json.put(rule, until.toString()));
    write("silences.json", json);
  }

  private <T> Map<String, T> load(String file, BiFunction<String, JsonNode, T> read) throws IOException {
    Path path = dir.resolve(file);
    Map<String, T> loaded = new LinkedHashMap<>();
    if (!Files.exists(path)) {
      return loaded;
    }
    try {
      JsonNode json = AlertPayloads.JSON.readTree(path.toFile());
      for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        loaded.put(e.getKey(), read.apply(e.getKey(), e.getValue()));
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException("cannot read " + path + ": " + e.getMessage() + " (fix or remove the file)", e);
    }
    return loaded;
  }

  private void write(String file, ObjectNode json) throws IOException {
    FileSync.writeAtomically(
        dir.resolve(file), AlertPayloads.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
  }
}
