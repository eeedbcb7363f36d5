package io.hindsight.server.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * A C2SP {@code tlog-checkpoint}: origin {@code hindsight/<endpoint>}, tree size and base64 root
 * hash, as a C2SP signed note whose signature line is {@code — <origin> base64(key id ‖ Ed25519
 * signature of the text)}. The key name is the origin.
 */
public record Checkpoint(String origin, long size, byte[] rootHash) {
  private static final String DASH = "\u2014 ";

  /** The origin of an endpoint's log. */
  public static String originOf(String endpoint) {
    return "hindsight/" + endpoint;
  }

  /** The signed body: origin, size and root, each on its line. */
  public String text() {
    return origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(rootHash) + "\n";
  }

  /** The signed note. */
  String sign(AuditKey key) throws IOException {
    byte[] sig = key.sign(text().getBytes(StandardCharsets.UTF_8));
    byte[] id = AuditKey.keyId(origin, key.publicKey());
    byte[] line = new byte[4 + sig.length];
    System.arraycopy(id, 0, line, 0, 4);
    System.arraycopy(sig, 0, line, 4, sig.length);
    return text() + "\n" + DASH + origin + " " + Base64.getEncoder().encodeToString(line) + "\n";
  }

  /**
   * Reads a note and checks its signature by {@code publicRaw} under the origin's key name;
   * throws with the reason when the note is malformed or no valid signature is on it.
   */
  public static Checkpoint verify(String note, byte[] publicRaw) throws IOException {
    int blank = note.indexOf("\n\n");
    if (blank < 0) {
      throw new IOException("not a signed note: no blank line before the signatures");
    }
    String text = note.substring(0, blank + 1);
    String[] lines = text.split("\n");
    if (lines.length < 3) {
      throw new IOException("not a checkpoint: it needs origin, size and root hash lines");
    }
    Checkpoint c;
    try {
      c = new Checkpoint(lines[0], Long.parseLong(lines[1]), Base64.getDecoder().decode(lines[2]));
    } catch (IllegalArgumentException e) {
      throw new IOException("not a checkpoint: " + e.getMessage());
    }
    byte[] wantId = AuditKey.keyId(c.origin, publicRaw);
    for (String sigLine : note.substring(blank + 2).split("\n")) {
      if (!sigLine.startsWith(DASH + c.origin + " ")) {
        continue;
      }
      byte[] sig;
      try {
        sig = Base64.getDecoder().decode(sigLine.substring(DASH.length() + c.origin.length() + 1));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (sig.length == 68
          && Arrays.equals(Arrays.copyOf(sig, 4), wantId)
          && AuditKey.verify(publicRaw, text.getBytes(StandardCharsets.UTF_8), Arrays.copyOfRange(sig, 4, 68))) {
        return c;
      }
    }
    throw new IOException("no valid signature by the audit key on the checkpoint of size " + c.size);
  }
}
