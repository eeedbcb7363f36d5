package io.hindsight.server;

/**
 * A request the server refuses, with the HTTP status and a message that says what was wrong and
 * how to fix it. Thrown anywhere while handling a request; one handler turns it into the answer.
 */
public class ApiException extends RuntimeException {
  private final int status;
  private final String retryAfterSeconds;

  public ApiException(int status, String message) {
    this(status, message, null);
  }

  public ApiException(int status, String message, String retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int status() {
    return status;
  }

  /** The Retry-After header to send, or null. */
  public String retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, message);
  }
}
