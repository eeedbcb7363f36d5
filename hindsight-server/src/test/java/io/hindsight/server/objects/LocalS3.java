package io.hindsight.server.objects;

import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/** An S3-compatible store in the test's process (S3Proxy over memory) on a random loopback port. */
public final class LocalS3 implements AutoCloseable {
  public static final String ACCESS_KEY = "test-access";
  public static final String SECRET_KEY = "test-secret";
  public static final String REGION = "us-east-1";

  private final BlobStoreContext context;
  private final int port;
  private S3Proxy proxy;
  private boolean paused;

  public LocalS3(String... buckets) throws Exception {
    context =
        ContextBuilder.newBuilder("transient")
            .credentials("identity", "credential")
            .overrides(new Properties())
            .build(BlobStoreContext.class);
    for (String b : buckets) {
      context.getBlobStore().createContainerInLocation(null, b);
    }
    proxy = startProxy(URI.create("http://127.0.0.1:0"));
    port = proxy.getPort();
  }

  private S3Proxy startProxy(URI endpoint) throws Exception {
    S3Proxy started =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(endpoint)
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .ignoreUnknownHeaders(true)
            .build();
    started.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!started.getState().equals("STARTED")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("S3Proxy did not start within 10 s: " + started.getState());
      }
      Thread.sleep(10);
    }
    return started;
  }

  /** Stops answering (connections are refused) while keeping the objects; see {@link #resume()}. */
  public synchronized void pause() throws Exception {
    proxy.stop();
    paused = true;
  }

  /** Answers again on the same port, with the objects it held. */
  public synchronized void resume() throws Exception {
    proxy = startProxy(endpoint());
    paused = false;
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Settings that reach this store. */
  public S3Settings settings() {
    return new S3Settings(endpoint(), REGION, true, ACCESS_KEY, SECRET_KEY);
  }

  @Override
  public synchronized void close() throws Exception {
    if (!paused) {
      proxy.stop();
    }
    context.close();
  }
}
