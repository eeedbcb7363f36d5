/**
 * The HTTP API of DESIGN §4 on Javalin: thin handlers that read a request, call a capability and
 * write the answer, with every refusal mapped to {@code {"error": ...}} in one place. The top layer
 * below the composition root; it may use every capability package.
 */
package io.hindsight.server.http;
