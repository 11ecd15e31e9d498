/**
 * The bundled demo: real models and datasets prepared from Maven-shipped data, and its registry.
 */
package io.octet.jobs.demo;
