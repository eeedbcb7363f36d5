package io.hindsight.server.audit;

import io.hindsight.server.schema.CanonicalJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A signed entry of an audit log saying that an erasure removed the records of some leaves: the
 * leaves stay in the tree, so every checkpoint still verifies, and {@code audit verify} reports
 * those records as {@code redacted (erasure <id>)} instead of missing. Stored as JSON {@code
 * {"origin", "erasure", "leaves": [...], "tree_size", "signature"}}, the signature being Ed25519
 * over the RFC 8785 form of the other fields.
 *
 * @param treeSize the log's size when the entry was made; every listed leaf is below it
 */
public record Redaction(String origin, String erasure, List<Long> leaves, long treeSize) {

  Map<String, Object> body() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("origin", origin);
    m.put("erasure", erasure);
    m.put("leaves", leaves);
    m.put("tree_size", treeSize);
    return m;
  }

  /** The signed JSON entry. */
  byte[] sign(AuditKey key, ObjectMapper json) throws IOException {
    Map<String, Object> m = body();
    m.put("signature", Base64.getEncoder().encodeToString(key.sign(CanonicalJson.of(body()))));
    return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
  }

  /** Reads an entry and checks its signature; throws with the reason when either fails. */
  static Redaction verify(byte[] entry, byte[] publicRaw, ObjectMapper json) throws IOException {
    JsonNode n = json.readTree(entry);
    if (n == null || !n.path("leaves").isArray() || !n.path("signature").isTextual()) {
      throw new IOException("not a redaction entry: it needs leaves and a signature");
    }
    List<Long> leaves = new ArrayList<>();
    n.get("leaves").forEach(l -> leaves.add(l.asLong()));
    Redaction r = new Redaction(n.path("origin").asText(), n.path("erasure").asText(), leaves, n.path("tree_size").asLong());
    byte[] sig;
    try {
      sig = Base64.getDecoder().decode(n.get("signature").asText());
    } catch (IllegalArgumentException e) {
      throw new IOException("the signature of redaction entry '" + r.erasure + "' is not base64");
    }
    if (!AuditKey.verify(publicRaw, CanonicalJson.of(r.body()), sig)) {
      throw new IOException("redaction entry '" + r.erasure + "' is not signed by the audit key");
    }
    return r;
  }
}
