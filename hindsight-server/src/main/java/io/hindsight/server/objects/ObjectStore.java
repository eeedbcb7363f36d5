package io.hindsight.server.objects;

import io.hindsight.server.files.FileSync;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * One S3-compatible store: lists prefixes, moves whole objects between it and local files, and
 * streams parts of objects.
 * Thread-safe; close it to release its connections. Failures of the store surface as {@link
 * IOException}s naming the location.
 */
public final class ObjectStore implements Closeable {
  private static final Region DEFAULT_REGION = Region.US_EAST_1;

  private final S3Client s3;
  private final AwsCredentialsProvider credentials;

  private ObjectStore(S3Client s3, AwsCredentialsProvider credentials) {
    this.s3 = s3;
    this.credentials = credentials;
  }

  /** A client for the store {@code settings} describe; nothing is contacted yet. */
  public static ObjectStore open(S3Settings settings) {
    AwsCredentialsProvider credentials =
        settings.accessKey() != null
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()))
            : DefaultCredentialsProvider.builder().build();
    S3ClientBuilder b =
        S3Client.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .region(settings.region() == null ? DEFAULT_REGION : Region.of(settings.region()))
            .forcePathStyle(settings.pathStyle())
            .credentialsProvider(credentials)
            // Stores other than AWS (S3Proxy, older MinIO) refuse the SDK's newer default checksums.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    return new ObjectStore(b.build(), credentials);
  }

  /** Every object below {@code prefix} taken as a folder, in key order. */
  public List<StoredObject> list(S3Location prefix) throws IOException {
    List<StoredObject> out = new ArrayList<>();
    try {
      for (S3Object o :
          s3.listObjectsV2Paginator(r -> r.bucket(prefix.bucket()).prefix(prefix.folderKey())).contents()) {
        out.add(new StoredObject(new S3Location(prefix.bucket(), o.key()), o.size(), o.eTag(), o.lastModified()));
      }
    } catch (SdkException e) {
      throw new IOException("could not list " + prefix + ": " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * Copies an object to {@code target}, which appears whole (written aside, fsynced, renamed).
   *
   * @throws NoSuchFileException when the store has no such object
   */
  public void download(S3Location object, Path target) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path partial = parent.resolve("." + target.getFileName() + ".partial");
    Files.deleteIfExists(partial);
    try {
      s3.getObject(r -> r.bucket(object.bucket()).key(object.key()), ResponseTransformer.toFile(partial));
      FileSync.fsync(partial);
      FileSync.moveDurably(partial, target);
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(object.toString(), null, "the store has no such object (deleted since it was listed?)");
    } catch (SdkException e) {
      throw new IOException("could not read " + object + ": " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /** The object at {@code object}, or empty when the store has none there. */
  public Optional<StoredObject> find(S3Location object) throws IOException {
    try {
      HeadObjectResponse head = s3.headObject(r -> r.bucket(object.bucket()).key(object.key()));
      return Optional.of(new StoredObject(object, head.contentLength(), head.eTag(), head.lastModified()));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw new IOException("could not read " + object + ": " + e.getMessage(), e);
    } catch (SdkException e) {
      throw new IOException("could not read " + object + ": " + e.getMessage(), e);
    }
  }

  /**
   * Streams {@code length} bytes of an object from {@code offset} (a ranged GET), without copying
   * the object anywhere; the caller closes the stream.
   */
  public InputStream read(S3Location object, long offset, long length) throws IOException {
    if (length == 0) {
      return InputStream.nullInputStream();
    }
    try {
      return s3.getObject(r -> r.bucket(object.bucket()).key(object.key()).range("bytes=" + offset + "-" + (offset + length - 1)));
    } catch (SdkException e) {
      throw new IOException("could not read " + object + ": " + e.getMessage(), e);
    }
  }

  /**
   * Files above this size are uploaded in parts ({@value} bytes: large enough that a lake writer's
   * files go in one request, far below S3's 5 GB limit for one).
   */
  public static final long MULTIPART_THRESHOLD = 64L << 20;

  /** Bytes per part of a multipart upload (S3 takes at least 5 MiB a part, at most 10,000 parts). */
  static final long PART_BYTES = 16L << 20;

  /**
   * Writes a local file as the object {@code target}; a store never shows a half-written object.
   * Files above {@link #MULTIPART_THRESHOLD} go as a multipart upload, which the store shows only
   * once completed and which is aborted if a part fails.
   */
  public void upload(Path source, S3Location target) throws IOException {
    upload(source, target, MULTIPART_THRESHOLD, PART_BYTES);
  }

  void upload(Path source, S3Location target, long threshold, long partBytes) throws IOException {
    try {
      long size = Files.size(source);
      if (size <= threshold) {
        s3.putObject(r -> r.bucket(target.bucket()).key(target.key()), RequestBody.fromFile(source));
      } else {
        uploadInParts(source, size, target, partBytes);
      }
    } catch (SdkException e) {
      throw new IOException("could not write " + target + ": " + e.getMessage(), e);
    }
  }

  private void uploadInParts(Path source, long size, S3Location target, long partBytes) throws IOException {
    String uploadId = s3.createMultipartUpload(r -> r.bucket(target.bucket()).key(target.key())).uploadId();
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
      List<CompletedPart> parts = new ArrayList<>();
      for (long offset = 0; offset < size; offset += partBytes) {
        int number = parts.size() + 1;
        long length = Math.min(partBytes, size - offset);
        InputStream part = Channels.newInputStream(in.position(offset));
        String eTag =
            s3.uploadPart(
                    r -> r.bucket(target.bucket()).key(target.key()).uploadId(uploadId).partNumber(number).contentLength(length),
                    RequestBody.fromInputStream(part, length))
                .eTag();
        parts.add(CompletedPart.builder().partNumber(number).eTag(eTag).build());
      }
      s3.completeMultipartUpload(
          r -> r.bucket(target.bucket()).key(target.key()).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
    } catch (IOException | SdkException e) {
      try {
        s3.abortMultipartUpload(r -> r.bucket(target.bucket()).key(target.key()).uploadId(uploadId));
      } catch (SdkException abortFailed) {
        e.addSuppressed(abortFailed);
      }
      throw e;
    }
  }

  /** Deletes an object; deleting one that is not there is no error. */
  public void delete(S3Location object) throws IOException {
    try {
      s3.deleteObject(r -> r.bucket(object.bucket()).key(object.key()));
    } catch (SdkException e) {
      throw new IOException("could not delete " + object + ": " + e.getMessage(), e);
    }
  }

  /**
   * Lists at most one object below {@code prefix}, to learn early whether the store takes these
   * settings; a refusal says why in {@link Refused#reason()}.
   */
  public void probe(S3Location prefix) throws IOException {
    try {
      s3.listObjectsV2(r -> r.bucket(prefix.bucket()).prefix(prefix.folderKey()).maxKeys(1));
    } catch (S3Exception e) {
      String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
      Refused.Reason reason =
          "NoSuchBucket".equals(code) || e.statusCode() == 404
              ? Refused.Reason.NO_BUCKET
              : e.statusCode() == 403 || e.statusCode() == 401 ? Refused.Reason.CREDENTIALS : Refused.Reason.OTHER;
      throw new Refused(reason, prefix + ": " + (code == null ? "" : code + ", ") + "HTTP " + e.statusCode(), e);
    } catch (SdkException e) {
      throw new Refused(Refused.Reason.UNREACHABLE, prefix + ": " + e.getMessage(), e);
    }
  }

  /** The store refused a request, for a reason a caller can name a setting for. */
  public static final class Refused extends IOException {
    /** Why the store refused. */
    public enum Reason {
      /** The access key is unknown or the signature (secret key) does not match, or access is denied. */
      CREDENTIALS,
      /** The bucket does not exist. */
      NO_BUCKET,
      /** No answer from the endpoint. */
      UNREACHABLE,
      OTHER
    }

    private final Reason reason;

    Refused(Reason reason, String message, Throwable cause) {
      super(message, cause);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  @Override
  public void close() {
    s3.close();
    if (credentials instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        // Only threads of a credential refresher to stop; nothing to lose.
      }
    }
  }
}
