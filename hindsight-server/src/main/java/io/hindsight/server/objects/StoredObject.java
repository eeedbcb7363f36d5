package io.hindsight.server.objects;

import java.time.Instant;

/**
 * An object found by a listing.
 *
 * @param location its bucket and full key
 * @param size bytes
 * @param eTag the store's tag of its content (changes when the object is replaced)
 * @param lastModified when it was written
 */
public record StoredObject(S3Location location, long size, String eTag, Instant lastModified) {}
