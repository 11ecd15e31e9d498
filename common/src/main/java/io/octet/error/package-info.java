/** User-facing errors: {@link io.octet.error.QuantException} and its factory. */
package io.octet.error;
