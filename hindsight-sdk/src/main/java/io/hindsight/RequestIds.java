package io.hindsight;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Picks a correlation id for a prediction from what the host already has on the thread: the
 * current OpenTelemetry span's trace id, else an SLF4J MDC entry named {@code request_id},
 * {@code requestId} or {@code X-Request-ID}.
 *
 * <p>Both libraries are found by reflection once, at class initialisation, so the SDK has no
 * compile-time dependency on them and pays nothing when they are absent.
 */
final class RequestIds {
  static final String[] MDC_KEYS = {"request_id", "requestId", "X-Request-ID"};
  private static final String INVALID_TRACE_ID = "00000000000000000000000000000000";

  private static final MethodHandle SPAN_CURRENT;
  private static final MethodHandle SPAN_CONTEXT;
  private static final MethodHandle TRACE_ID;
  private static final MethodHandle MDC_GET;

  static {
    MethodHandles.Lookup lookup = MethodHandles.publicLookup();
    MethodHandle current = null;
    MethodHandle context = null;
    MethodHandle traceId = null;
    try {
      Class<?> span = load("io.opentelemetry.api.trace.Span");
      Class<?> spanContext = load("io.opentelemetry.api.trace.SpanContext");
      current = lookup.findStatic(span, "current", MethodType.methodType(span));
      context = lookup.findVirtual(span, "getSpanContext", MethodType.methodType(spanContext));
      traceId = lookup.findVirtual(spanContext, "getTraceId", MethodType.methodType(String.class));
    } catch (ReflectiveOperationException | LinkageError | SecurityException absent) {
      current = null;
    }
    SPAN_CURRENT = current;
    SPAN_CONTEXT = current == null ? null : context;
    TRACE_ID = current == null ? null : traceId;
    MethodHandle mdcGet;
    try {
      Class<?> mdc = load("org.slf4j.MDC");
      mdcGet = lookup.findStatic(mdc, "get", MethodType.methodType(String.class, String.class));
    } catch (ReflectiveOperationException | LinkageError | SecurityException absent) {
      mdcGet = null;
    }
    MDC_GET = mdcGet;
  }

  private RequestIds() {}

  private static Class<?> load(String name) throws ClassNotFoundException {
    try {
      return Class.forName(name, false, RequestIds.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      ClassLoader context = Thread.currentThread().getContextClassLoader();
      if (context == null) {
        throw e;
      }
      return Class.forName(name, false, context);
    }
  }

  /** The correlation id on the current thread, or null. Never throws. */
  static String fromContext() {
    if (SPAN_CURRENT == null && MDC_GET == null) {
      return null;
    }
    try {
      if (SPAN_CURRENT != null) {
        Object span = SPAN_CURRENT.invoke();
        if (span != null) {
          Object ctx = SPAN_CONTEXT.invoke(span);
          if (ctx != null) {
            String id = (String) TRACE_ID.invoke(ctx);
            if (id != null && !id.isEmpty() && !INVALID_TRACE_ID.equals(id)) {
              return id;
            }
          }
        }
      }
      if (MDC_GET != null) {
        for (String key : MDC_KEYS) {
          String id = (String) MDC_GET.invoke(key);
          if (id != null && !id.isEmpty() && id.length() <= Ids.MAX_LABEL_LENGTH) {
            return id;
          }
        }
      }
    } catch (Throwable ignored) {
      // A broken tracing setup must never break a prediction.
      return null;
    }
    return null;
  }
}
