/**
 * Publishing without renames: immutable per-run prefixes, a manifest created last, and a {@code
 * latest} pointer moved only for a model that passed its gate and whose manifest verifies.
 */
package io.octet.publish;
