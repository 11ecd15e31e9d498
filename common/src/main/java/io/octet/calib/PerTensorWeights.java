package io.octet.calib;

import io.octet.util.Checks;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A weight tensor quantized with one scale and zero point.
 *
 * @param data the quantized values in the tensor's row-major order, one byte each (two's complement
 *     for int8, unsigned for uint8: the raw bytes of an ONNX tensor); copied in and out
 * @param params the scale and zero point
 */
public record PerTensorWeights(byte[] data, QuantParams params) {
  /**
   * Validates and copies the data.
   *
   * @throws NullPointerException if an argument is null
   */
  public PerTensorWeights {
    data = Checks.checkNotNull(data, "data").clone();
    Checks.checkNotNull(params, "params");
  }

  /**
   * Returns a copy of the quantized bytes.
   *
   * @return the bytes, row-major
   */
  @Override
  public byte[] data() {
    return data.clone();
  }

  /**
   * Returns a read-only view of the quantized bytes, without copying.
   *
   * @return a read-only buffer over the bytes, positioned at 0
   */
  public ByteBuffer dataView() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer();
  }

  /** Value equality, comparing the bytes. */
  @Override
  public boolean equals(Object o) {
    return o instanceof PerTensorWeights other
        && params.equals(other.params)
        && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return 31 * params.hashCode() + Arrays.hashCode(data);
  }

  /** A summary without the bytes. */
  @Override
  public String toString() {
    return "PerTensorWeights[" + data.length + " values, " + params + "]";
  }
}
