/**
 * S3-compatible object storage (DESIGN §14): {@code s3://bucket/prefix} locations, a client built
 * from settings (endpoint, region, path-style, credentials from the settings or the AWS default
 * chain), listing a prefix, moving whole objects between the store and local files, and reading
 * an object's size and byte ranges. Imports read sources through it, and media roots on S3 are
 * served through it; it knows nothing of what the objects hold. Uses only {@code files}.
 */
package io.hindsight.server.objects;
