package io.hindsight.server.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The hashes of an RFC 9162 §2.1 Merkle tree: SHA-256 with a 0x00 prefix for leaves, 0x01 for nodes. */
public final class MerkleHashes {
  /** Bytes of every hash. */
  public static final int SIZE = 32;

  private MerkleHashes() {}

  /** SHA-256(0x00 ‖ data). */
  public static byte[] leaf(byte[] data) {
    MessageDigest d = sha256();
    d.update((byte) 0);
    d.update(data);
    return d.digest();
  }

  /** SHA-256(0x01 ‖ left ‖ right). */
  public static byte[] node(byte[] left, byte[] right) {
    MessageDigest d = sha256();
    d.update((byte) 1);
    d.update(left);
    d.update(right);
    return d.digest();
  }

  /** The hash of the empty tree: SHA-256 of nothing. */
  public static byte[] empty() {
    return sha256().digest();
  }

  /** The largest power of two strictly below {@code n} (n ≥ 2): where RFC 9162 splits a tree. */
  static long split(long n) {
    return Long.highestOneBit(n - 1);
  }

  /** One digest per thread: looking a digest up per hash costs more than the hash of a node. */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(MerkleHashes::newSha256);

  /** This thread's SHA-256 digest, reset. */
  static MessageDigest sha256() {
    MessageDigest d = SHA256.get();
    d.reset();
    return d;
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
