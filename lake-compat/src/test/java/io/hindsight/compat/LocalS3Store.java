package io.hindsight.compat;

import io.hindsight.server.objects.S3Settings;
import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/** An S3-compatible store in the test's process (S3Proxy over memory) on a random loopback port. */
final class LocalS3Store implements AutoCloseable {
  static final String ACCESS_KEY = "test-access";
  static final String SECRET_KEY = "test-secret";
  static final String REGION = "us-east-1";

  private final BlobStoreContext context;
  private final S3Proxy proxy;

  LocalS3Store(String... buckets) throws Exception {
    context = ContextBuilder.newBuilder("transient")
        .credentials("identity", "credential")
        .overrides(new Properties())
        .build(BlobStoreContext.class);
    for (String b : buckets) {
      context.getBlobStore().createContainerInLocation(null, b);
    }
    proxy = S3Proxy.builder()
        .blobStore(context.getBlobStore())
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .ignoreUnknownHeaders(true)
        .build();
    proxy.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!proxy.getState().equals("STARTED")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("S3Proxy did not start within 10 s: " + proxy.getState());
      }
      Thread.sleep(10);
    }
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** How the server's own S3 client reaches this store. */
  S3Settings settings() {
    return new S3Settings(endpoint(), REGION, true, ACCESS_KEY, SECRET_KEY);
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
