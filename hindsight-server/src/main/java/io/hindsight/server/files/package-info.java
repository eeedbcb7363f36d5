/**
 * Crash-safe file primitives: a file appears whole under its final name or not at all, and a
 * rename survives a crash; and removing a folder of scratch files. The bottom of the server: it uses no other server package.
 */
package io.hindsight.server.files;
