/**
 * What people look at: pages drawn by the server itself, self-contained (inline SVG and CSS, nothing
 * fetched from the network), starting with the monitoring report. Uses {@code monitor} for the
 * figures it draws, {@code alert}, {@code audit}, {@code query}, {@code schema} and {@code ops}.
 */
package io.hindsight.server.web;
