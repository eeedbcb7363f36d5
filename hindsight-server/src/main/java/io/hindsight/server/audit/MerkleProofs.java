package io.hindsight.server.audit;

import java.util.Arrays;
import java.util.List;

/**
 * Verification of RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs: what a third
 * party runs on an exported bundle, with nothing but the proof, the hashes and the sizes.
 */
public final class MerkleProofs {
  private MerkleProofs() {}

  /** Whether {@code path} proves that {@code leafHash} is leaf {@code index} of the tree {@code root} of {@code size}. */
  public static boolean inclusion(long index, long size, byte[] leafHash, List<byte[]> path, byte[] root) {
    if (index < 0 || index >= size) {
      return false;
    }
    long fn = index;
    long sn = size - 1;
    byte[] r = leafHash;
    for (byte[] p : path) {
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = MerkleHashes.node(p, r);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        r = MerkleHashes.node(r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && Arrays.equals(r, root);
  }

  /** Whether {@code path} proves that the tree {@code secondRoot} of {@code second} extends {@code firstRoot} of {@code first}. */
  public static boolean consistency(long first, long second, byte[] firstRoot, byte[] secondRoot, List<byte[]> path) {
    if (first < 0 || first > second) {
      return false;
    }
    if (first == second) {
      return path.isEmpty() && Arrays.equals(firstRoot, secondRoot);
    }
    if (first == 0) {
      return path.isEmpty();
    }
    List<byte[]> proof = path;
    if (Long.bitCount(first) == 1) {
      proof = new java.util.ArrayList<>(path);
      proof.add(0, firstRoot);
    }
    if (proof.isEmpty()) {
      return false;
    }
    long fn = first - 1;
    long sn = second - 1;
    while ((fn & 1) == 1) {
      fn >>= 1;
      sn >>= 1;
    }
    byte[] fr = proof.get(0);
    byte[] sr = proof.get(0);
    for (byte[] c : proof.subList(1, proof.size())) {
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = MerkleHashes.node(c, fr);
        sr = MerkleHashes.node(c, sr);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        sr = MerkleHashes.node(sr, c);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && Arrays.equals(fr, firstRoot) && Arrays.equals(sr, secondRoot);
  }
}
