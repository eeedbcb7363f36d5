/**
 * Fetching the files that media references point at (DESIGN §14 "Media") for {@code GET
 * /v1/media}, only from the configured roots: local folders and S3 prefixes. Owns the parsing and
 * refusal of a reference's uri (network URLs, other schemes, {@code ..} segments, paths that
 * resolve out of a root through a symbolic link), the size limit and the content types served,
 * told by a file's extension. Uses nothing of the server but {@code ApiException}; HTTP stays in
 * {@code http}.
 */
package io.hindsight.server.media;
