/**
 * Registry and configuration: HOCON registry files merged with {@code reference.conf}, overlays and
 * overrides, checked for unknown keys and wrong types before any work starts, and turned into
 * validated records.
 */
package io.octet.config;
