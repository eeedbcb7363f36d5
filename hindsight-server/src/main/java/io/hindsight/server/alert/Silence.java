package io.hindsight.server.alert;

import java.time.Instant;

/** A rule muted until a time: its state is still tracked, its notifications are not sent. */
public record Silence(String rule, Instant until) {}
