/** Small helpers shared by every package: argument checks, hashing, JSON. */
package io.octet.util;
