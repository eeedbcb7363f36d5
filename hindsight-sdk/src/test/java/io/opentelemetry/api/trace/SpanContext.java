package io.opentelemetry.api.trace;

/** A stand-in for OpenTelemetry's SpanContext (test only). */
public interface SpanContext {
  String getTraceId();
}
