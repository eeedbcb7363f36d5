package io.hindsight.server.audit;

import io.hindsight.server.files.FileSync;
import io.hindsight.server.files.UnreadableFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The server's Ed25519 audit key: created on first start in {@code <data dir>/audit/key}, the
 * private half readable by the owner only (0600). Signs checkpoints and redaction entries.
 */
public final class AuditKey {
  /** The C2SP signed-note signature type of Ed25519. */
  static final byte ED25519 = 0x01;

  private final PrivateKey privateKey;
  private final byte[] publicRaw;

  private AuditKey(PrivateKey privateKey, byte[] publicRaw) {
    this.privateKey = privateKey;
    this.publicRaw = publicRaw;
  }

  /** Loads the key of {@code dir}, creating it on first use. */
  public static AuditKey loadOrCreate(Path dir) throws IOException {
    Path priv = dir.resolve("ed25519.pk8");
    try {
      KeyFactory f = KeyFactory.getInstance("Ed25519");
      if (!Files.exists(priv)) {
        FileSync.createDirectoriesDurably(dir);
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path tmp = dir.resolve("ed25519.pk8.tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, pair.getPrivate().getEncoded());
        FileSync.writeAtomically(dir.resolve("ed25519.pub"), pair.getPublic().getEncoded());
        FileSync.fsync(tmp);
        FileSync.moveDurably(tmp, priv);
      }
      PrivateKey p;
      try {
        p = f.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(priv)));
      } catch (GeneralSecurityException e) {
        throw UnreadableFile.error("audit signing key", priv, e);
      }
      return new AuditKey(p, loadPublic(dir));
    } catch (GeneralSecurityException e) {
      throw new IOException("the audit key in " + dir + " cannot be made: " + e.getMessage(), e);
    }
  }

  /** Reads only the public half, as {@code audit verify} does. */
  public static byte[] loadPublic(Path dir) throws IOException {
    Path pub = dir.resolve("ed25519.pub");
    byte[] encoded = Files.readAllBytes(pub);
    KeyFactory f;
    try {
      f = KeyFactory.getInstance("Ed25519");
    } catch (GeneralSecurityException e) {
      throw new IOException("this Java has no Ed25519 to read the audit key with: " + e.getMessage(), e);
    }
    try {
      return raw(f.generatePublic(new X509EncodedKeySpec(encoded)));
    } catch (GeneralSecurityException e) {
      throw UnreadableFile.error("audit public key", pub, e);
    }
  }

  /** The 32 raw bytes of an Ed25519 public key (the end of its X.509 encoding). */
  private static byte[] raw(PublicKey key) {
    byte[] spki = key.getEncoded();
    return Arrays.copyOfRange(spki, spki.length - 32, spki.length);
  }

  /** The raw 32-byte public key. */
  public byte[] publicKey() {
    return publicRaw.clone();
  }

  byte[] sign(byte[] message) throws IOException {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IOException("signing with the audit key failed: " + e.getMessage(), e);
    }
  }

  /** Whether {@code signature} is the Ed25519 signature of {@code message} by the raw public key. */
  public static boolean verify(byte[] publicRaw, byte[] message, byte[] signature) {
    try {
      byte[] spki = new byte[44];
      byte[] prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
      System.arraycopy(prefix, 0, spki, 0, 12);
      System.arraycopy(publicRaw, 0, spki, 12, 32);
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** C2SP signed-note key id: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). */
  public static byte[] keyId(String name, byte[] publicRaw) {
    var d = MerkleHashes.sha256();
    d.update(name.getBytes(StandardCharsets.UTF_8));
    d.update((byte) '\n');
    d.update(ED25519);
    d.update(publicRaw);
    return Arrays.copyOf(d.digest(), 4);
  }

  /** The C2SP verifier key {@code <name>+<hex key id>+<base64(0x01 ‖ public key)>}. */
  public static String verifierKey(String name, byte[] publicRaw) {
    byte[] typed = new byte[33];
    typed[0] = ED25519;
    System.arraycopy(publicRaw, 0, typed, 1, 32);
    return name + "+" + java.util.HexFormat.of().formatHex(keyId(name, publicRaw)) + "+" + Base64.getEncoder().encodeToString(typed);
  }
}
