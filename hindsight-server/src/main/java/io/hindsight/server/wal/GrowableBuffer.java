package io.hindsight.server.wal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A byte array that grows as it is written; cheaper than ByteArrayOutputStream plus DataOutput. */
public final class GrowableBuffer {
  private byte[] bytes;
  private int size;

  public GrowableBuffer(int initialCapacity) {
    bytes = new byte[Math.max(16, initialCapacity)];
  }

  private void ensure(int more) {
    if (size + more > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
    }
  }

  public void put(byte b) {
    ensure(1);
    bytes[size++] = b;
  }

  public void put(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, bytes, size, b.length);
    size += b.length;
  }

  /** Appends the remaining bytes of {@code b}. */
  public void put(ByteBuffer b) {
    int n = b.remaining();
    ensure(n);
    b.get(bytes, size, n);
    size += n;
  }

  public void putInt(int v) {
    ensure(4);
    putIntAt(size, v);
    size += 4;
  }

  public void putLong(long v) {
    putInt((int) (v >>> 32));
    putInt((int) v);
  }

  /**
   * Writes a string as its UTF-8 length (int) and bytes. ASCII, nearly every key and value, is
   * copied char by char without the temporary array of {@link String#getBytes}.
   */
  public void putUtf8(String s) {
    int n = s.length();
    ensure(4 + n);
    int start = size + 4;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        putAt(start - 4, s.getBytes(StandardCharsets.UTF_8));
        return;
      }
      bytes[start + i] = (byte) c;
    }
    size = start - 4;
    putInt(n);
    size += n;
  }

  /** Writes {@code utf8} with its length at {@code at}, replacing whatever was written after it. */
  private void putAt(int at, byte[] utf8) {
    size = at;
    putInt(utf8.length);
    put(utf8);
  }

  public int size() {
    return size;
  }

  /** A view of the written bytes, for reading back or writing to a channel. */
  public ByteBuffer asByteBuffer() {
    return ByteBuffer.wrap(bytes, 0, size);
  }

  /** The written bytes without a copy when they fill the array (as a buffer sized exactly does). */
  public byte[] array() {
    return size == bytes.length ? bytes : toByteArray();
  }

  /** Overwrites four bytes written before. */
  public void putIntAt(int at, int v) {
    bytes[at] = (byte) (v >>> 24);
    bytes[at + 1] = (byte) (v >>> 16);
    bytes[at + 2] = (byte) (v >>> 8);
    bytes[at + 3] = (byte) v;
  }

  /** Forgets what was written after the first {@code size} bytes. */
  public void truncate(int size) {
    if (size < 0 || size > this.size) {
      throw new IllegalArgumentException("cannot truncate " + this.size + " bytes to " + size);
    }
    this.size = size;
  }

  /** A copy of the bytes written from {@code from} to {@code to}. */
  public byte[] copyOfRange(int from, int to) {
    if (to > size) {
      throw new IndexOutOfBoundsException(to + " > " + size);
    }
    return Arrays.copyOfRange(bytes, from, to);
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(bytes, size);
  }
}
