/**
 * API keys and their scopes (DESIGN §4 Auth): hashed storage, reload, and the access decision for a
 * route. Uses {@code ops} and {@code files}.
 */
package io.hindsight.server.auth;
