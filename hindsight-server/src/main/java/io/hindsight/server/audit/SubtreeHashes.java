package io.hindsight.server.audit;

import java.io.IOException;

/**
 * A source of the hashes of complete, aligned subtrees: level 0 are the leaves, the node at
 * {@code (level, index)} covers leaves {@code [index·2^level, (index+1)·2^level)}. From these any
 * root, inclusion path and consistency path of RFC 9162 takes O(log n) reads.
 */
interface SubtreeHashes {
  byte[] node(int level, long index) throws IOException;

  /** MTH(D[lo:hi]) for a range that starts on a boundary of its left subtree, as RFC 9162 splits. */
  default byte[] range(long lo, long hi) throws IOException {
    long n = hi - lo;
    if (n == 0) {
      return MerkleHashes.empty();
    }
    if (Long.bitCount(n) == 1 && lo % n == 0) {
      return node(Long.numberOfTrailingZeros(n), lo / n);
    }
    long k = MerkleHashes.split(n);
    return MerkleHashes.node(range(lo, lo + k), range(lo + k, hi));
  }

  /** The root of the tree of the first {@code size} leaves. */
  default byte[] root(long size) throws IOException {
    return range(0, size);
  }

  /** RFC 9162 §2.1.3.1 PATH(m, D[0:n]), ordered from the leaf up. */
  default byte[][] inclusionPath(long m, long n) throws IOException {
    if (m < 0 || m >= n) {
      throw new IllegalArgumentException("leaf " + m + " is not in a tree of " + n + " leaves");
    }
    java.util.ArrayList<byte[]> out = new java.util.ArrayList<>();
    inclusion(m, 0, n, out);
    return out.toArray(new byte[0][]);
  }

  private void inclusion(long m, long lo, long hi, java.util.List<byte[]> out) throws IOException {
    if (hi - lo <= 1) {
      return;
    }
    long k = MerkleHashes.split(hi - lo);
    if (m < lo + k) {
      inclusion(m, lo, lo + k, out);
      out.add(range(lo + k, hi));
    } else {
      inclusion(m, lo + k, hi, out);
      out.add(range(lo, lo + k));
    }
  }

  /** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]) for 0 < m ≤ n (empty when m = n). */
  default byte[][] consistencyPath(long m, long n) throws IOException {
    if (m <= 0 || m > n) {
      throw new IllegalArgumentException("no consistency proof from size " + m + " to size " + n + ": need 0 < first <= second");
    }
    java.util.ArrayList<byte[]> out = new java.util.ArrayList<>();
    subproof(m, 0, n, true, out);
    return out.toArray(new byte[0][]);
  }

  private void subproof(long m, long lo, long hi, boolean complete, java.util.List<byte[]> out) throws IOException {
    long n = hi - lo;
    if (m == n) {
      if (!complete) {
        out.add(range(lo, hi));
      }
      return;
    }
    long k = MerkleHashes.split(n);
    if (m <= k) {
      subproof(m, lo, lo + k, complete, out);
      out.add(range(lo + k, hi));
    } else {
      subproof(m - k, lo + k, hi, false, out);
      out.add(range(lo, lo + k));
    }
  }
}
