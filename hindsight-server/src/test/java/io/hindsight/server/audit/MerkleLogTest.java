package io.hindsight.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hash store against the RFC 6962 test vectors, its proofs checked by a verifier written here
 * from RFC 9162 §2.1 alone (recursive MTH and PATH over the leaves), and checkpoints checked with
 * the published key.
 */
class MerkleLogTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[][] INPUTS = {
    {},
    {0x00},
    {0x10},
    {0x20, 0x21},
    {0x30, 0x31},
    {0x40, 0x41, 0x42, 0x43},
    {0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
    {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f},
  };
  private static final String[] ROOTS = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };

  @TempDir Path dir;

  private HashStore storeOf(byte[][] inputs) throws Exception {
    HashStore s = HashStore.open(dir.resolve("log"));
    for (byte[] in : inputs) {
      s.append(Reference.leaf(in), 1);
    }
    return s;
  }

  @Test
  void rootsMatchTheRfc6962VectorsAtEverySize() throws Exception {
    try (HashStore s = storeOf(INPUTS)) {
      for (int n = 1; n <= 8; n++) {
        assertThat(HEX.formatHex(s.root(n))).as("root of %d leaves", n).isEqualTo(ROOTS[n - 1]);
        assertThat(s.root(n)).isEqualTo(Reference.mth(Arrays.asList(INPUTS).subList(0, n)));
      }
    }
  }

  @Test
  void inclusionPathsMatchTheRfc6962Vectors() throws Exception {
    try (HashStore s = storeOf(INPUTS)) {
      assertThat(hex(s.inclusionPath(0, 1))).isEmpty();
      assertThat(hex(s.inclusionPath(0, 8)))
          .containsExactly(
              "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
      assertThat(hex(s.inclusionPath(5, 8)))
          .containsExactly(
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
      assertThat(hex(s.inclusionPath(2, 3))).containsExactly("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
      assertThat(hex(s.inclusionPath(1, 5)))
          .containsExactly(
              "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
    }
  }

  @Test
  void consistencyPathsMatchTheRfc6962Vectors() throws Exception {
    try (HashStore s = storeOf(INPUTS)) {
      assertThat(hex(s.consistencyPath(1, 1))).isEmpty();
      assertThat(hex(s.consistencyPath(1, 8)))
          .containsExactly(
              "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
      assertThat(hex(s.consistencyPath(6, 8)))
          .containsExactly(
              "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
      assertThat(hex(s.consistencyPath(2, 5)))
          .containsExactly(
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
    }
  }

  @Test
  void everyProofOfAnOddSizedLogAgreesWithTheReferenceAndVerifies() throws Exception {
    List<byte[]> inputs = new ArrayList<>();
    for (int i = 0; i < 37; i++) {
      inputs.add(("record " + i).getBytes(StandardCharsets.UTF_8));
    }
    try (HashStore s = HashStore.open(dir.resolve("log"))) {
      // Appended in uneven batches, as group commits hand them over.
      int i = 0;
      for (int batch : new int[] {1, 2, 5, 3, 8, 1, 17}) {
        byte[] hashes = new byte[batch * 32];
        for (int b = 0; b < batch; b++, i++) {
          System.arraycopy(Reference.leaf(inputs.get(i)), 0, hashes, b * 32, 32);
        }
        s.append(hashes, batch);
      }
      for (int n = 1; n <= 37; n++) {
        byte[] root = s.root(n);
        assertThat(root).isEqualTo(Reference.mth(inputs.subList(0, n)));
        for (int m = 0; m < n; m++) {
          byte[][] path = s.inclusionPath(m, n);
          assertThat(path).isEqualTo(Reference.path(m, inputs.subList(0, n)).toArray(new byte[0][]));
          assertThat(MerkleProofs.inclusion(m, n, Reference.leaf(inputs.get(m)), List.of(path), root)).isTrue();
          assertThat(MerkleProofs.inclusion(m, n, Reference.leaf(inputs.get((m + 1) % n)), List.of(path), root))
              .as("another leaf's hash does not verify").isEqualTo(n == 1);
        }
        for (int m = 1; m <= n; m++) {
          assertThat(MerkleProofs.consistency(m, n, s.root(m), root, List.of(s.consistencyPath(m, n)))).isTrue();
          if (m < n) {
            assertThat(MerkleProofs.consistency(m, n, s.root(m), MerkleHashes.leaf(new byte[] {1}), List.of(s.consistencyPath(m, n))))
                .isFalse();
          }
        }
      }
    }
  }

  @Test
  void reopeningKeepsWhatWasSyncedAndDropsWhatWasNot() throws Exception {
    try (HashStore s = storeOf(Arrays.copyOf(INPUTS, 5))) {
      s.sync();
      s.append(Reference.leaf(INPUTS[5]), 1);
    }
    try (HashStore s = HashStore.open(dir.resolve("log"))) {
      assertThat(s.size()).isEqualTo(5);
      for (int i = 5; i < 8; i++) {
        s.append(Reference.leaf(INPUTS[i]), 1);
      }
      assertThat(HEX.formatHex(s.root(8))).isEqualTo(ROOTS[7]);
    }
  }

  @Test
  void checkpointsAreSignedNotesTheirPublishedKeyVerifies() throws Exception {
    AuditKey key = AuditKey.loadOrCreate(dir.resolve("key"));
    assertThat(Files.getPosixFilePermissions(dir.resolve("key/ed25519.pk8")))
        .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    byte[] root = HEX.parseHex(ROOTS[7]);
    String note = new Checkpoint("hindsight/fraud", 8, root).sign(key);

    String[] parts = note.split("\n");
    assertThat(parts[0]).isEqualTo("hindsight/fraud");
    assertThat(parts[1]).isEqualTo("8");
    assertThat(parts[2]).isEqualTo(Base64.getEncoder().encodeToString(root));
    assertThat(parts[3]).isEmpty();
    assertThat(parts[4]).startsWith("\u2014 hindsight/fraud ");
    byte[] sig = Base64.getDecoder().decode(parts[4].substring("\u2014 hindsight/fraud ".length()));
    // The key id by C2SP signed-note, computed here from its definition.
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    d.update("hindsight/fraud\n".getBytes(StandardCharsets.UTF_8));
    d.update((byte) 1);
    d.update(key.publicKey());
    assertThat(Arrays.copyOf(sig, 4)).isEqualTo(Arrays.copyOf(d.digest(), 4));
    java.security.Signature v = java.security.Signature.getInstance("Ed25519");
    v.initVerify(java.security.KeyFactory.getInstance("Ed25519").generatePublic(
        new java.security.spec.X509EncodedKeySpec(Files.readAllBytes(dir.resolve("key/ed25519.pub")))));
    v.update((parts[0] + "\n" + parts[1] + "\n" + parts[2] + "\n").getBytes(StandardCharsets.UTF_8));
    assertThat(v.verify(Arrays.copyOfRange(sig, 4, 68))).isTrue();

    assertThat(Checkpoint.verify(note, key.publicKey()).size()).isEqualTo(8);
    String forged = note.replace("\n8\n", "\n9\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Checkpoint.verify(forged, key.publicKey()))
        .hasMessageContaining("no valid signature");
    assertThat(AuditKey.loadOrCreate(dir.resolve("key")).publicKey()).as("the key is kept").isEqualTo(key.publicKey());
  }

  private static List<String> hex(byte[][] path) {
    return Arrays.stream(path).map(HEX::formatHex).toList();
  }

  /** RFC 9162 §2.1.1 and §2.1.3.1 written out recursively over the inputs, nothing shared with the store. */
  static final class Reference {
    static byte[] sha(int prefix, byte[]... parts) {
      try {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update((byte) prefix);
        for (byte[] p : parts) {
          d.update(p);
        }
        return d.digest();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    static byte[] leaf(byte[] in) {
      return sha(0, in);
    }

    static int k(int n) {
      int k = 1;
      while (k * 2 < n) {
        k *= 2;
      }
      return k;
    }

    static byte[] mth(List<byte[]> d) {
      if (d.size() == 1) {
        return leaf(d.get(0));
      }
      int k = k(d.size());
      return sha(1, mth(d.subList(0, k)), mth(d.subList(k, d.size())));
    }

    static List<byte[]> path(int m, List<byte[]> d) {
      List<byte[]> out = new ArrayList<>();
      if (d.size() <= 1) {
        return out;
      }
      int k = k(d.size());
      if (m < k) {
        out.addAll(path(m, d.subList(0, k)));
        out.add(mth(d.subList(k, d.size())));
      } else {
        out.addAll(path(m - k, d.subList(k, d.size())));
        out.add(mth(d.subList(0, k)));
      }
      return out;
    }
  }
}
