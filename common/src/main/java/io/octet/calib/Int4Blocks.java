package io.octet.calib;

import io.octet.util.Checks;
import java.util.Arrays;
import java.util.Locale;

/**
 * A MatMul weight {@code W[K, N]} quantized to 4 bits in blocks along K, in the input layout of
 * ONNX Runtime's {@code com.microsoft.MatMulNBits} with {@code bits = 4}.
 *
 * <p>Layout, as specified for {@code com.microsoft.MatMulNBits} in onnxruntime's {@code
 * docs/ContribOperators.md}: input B is uint8 of shape [N, k_blocks, blob_size] with {@code
 * k_blocks = ceil(K / block_size)} and {@code blob_size = block_size * bits / 8} (here {@code
 * block_size / 2}); scales have shape [N, k_blocks]; packed uint8 zero points have shape [N,
 * ceil(k_blocks * bits / 8)] and use the same packing as B; a missing zero point means 2^(bits -
 * 1), which is 8 for 4 bits; 4-bit values are packed two per byte, the earlier one in the low
 * nibble. Concretely:
 *
 * <ul>
 *   <li>{@code packed[(n * blocks + b) * blockSize / 2 + i / 2]} holds the code of {@code W[b *
 *       blockSize + i, n]}, even {@code i} in the low nibble, odd {@code i} in the high nibble;
 *       codes are unsigned 0..15 and dequantize as {@code (code - zeroPoint) * scale};
 *   <li>{@code scales[n * blocks + b]};
 *   <li>{@code zeroPoints[n * ceil(blocks / 2) + b / 2]}, even {@code b} in the low nibble. When
 *       {@code blocks} is odd the unused high nibble of each column's last byte is 0.
 * </ul>
 *
 * <p>When K is not a multiple of the block size, the padding positions of the last block hold the
 * block's zero point, so they decode to exactly 0.
 *
 * @param rows K, the input (reduction) dimension of the weight
 * @param cols N, the output dimension of the weight
 * @param blockSize the block length along K: a power of two, at least 16
 * @param symmetric whether blocks were quantized symmetrically (every zero point is 8)
 * @param packed the packed codes, {@code N * blocks * blockSize / 2} bytes; copied in and out
 * @param scales the float32 scale per column and block, {@code N * blocks}; copied in and out
 * @param zeroPoints the packed uint4 zero points, {@code N * ceil(blocks / 2)} bytes; copied in and
 *     out
 */
public record Int4Blocks(
    int rows,
    int cols,
    int blockSize,
    boolean symmetric,
    byte[] packed,
    float[] scales,
    byte[] zeroPoints) {

  /** The default zero point of 4-bit {@code MatMulNBits}: 2^(bits - 1). */
  public static final int DEFAULT_ZERO_POINT = 8;

  /**
   * Validates sizes and copies the arrays.
   *
   * @throws IllegalArgumentException if a size does not match the layout
   */
  public Int4Blocks {
    Checks.checkArgument(
        rows > 0 && cols > 0, "Rows and cols must be positive, got %s x %s", rows, cols);
    Checks.checkArgument(
        blockSize >= 16 && Integer.bitCount(blockSize) == 1,
        "Block size must be a power of two >= 16, got: %s",
        blockSize);
    packed = Checks.checkNotNull(packed, "packed").clone();
    scales = Checks.checkNotNull(scales, "scales").clone();
    zeroPoints = Checks.checkNotNull(zeroPoints, "zeroPoints").clone();
    int blocks = (rows + blockSize - 1) / blockSize;
    Checks.checkArgument(
        packed.length == (long) cols * blocks * (blockSize / 2),
        "Packed codes must be %s bytes, got: %s",
        (long) cols * blocks * (blockSize / 2),
        packed.length);
    Checks.checkArgument(
        scales.length == (long) cols * blocks,
        "Scales must hold %s values, got: %s",
        (long) cols * blocks,
        scales.length);
    Checks.checkArgument(
        zeroPoints.length == (long) cols * ((blocks + 1) / 2),
        "Zero points must be %s bytes, got: %s",
        (long) cols * ((blocks + 1) / 2),
        zeroPoints.length);
    for (float s : scales) {
      Checks.checkArgument(Float.isFinite(s) && s > 0, "Scales must be finite and > 0, got: %s", s);
    }
  }

  /**
   * Returns the number of blocks per column.
   *
   * @return {@code ceil(K / blockSize)}, the {@code k_blocks} of MatMulNBits
   */
  public int blocksPerColumn() {
    return (rows + blockSize - 1) / blockSize;
  }

  /**
   * Returns the packed bytes per block.
   *
   * @return {@code blockSize / 2}, the {@code blob_size} of MatMulNBits
   */
  public int blobSize() {
    return blockSize / 2;
  }

  /**
   * Returns a copy of the packed codes.
   *
   * @return the B input of MatMulNBits, flattened from shape [N, k_blocks, blob_size]
   */
  @Override
  public byte[] packed() {
    return packed.clone();
  }

  /**
   * Returns a copy of the scales.
   *
   * @return the scales input of MatMulNBits, flattened from shape [N, k_blocks]
   */
  @Override
  public float[] scales() {
    return scales.clone();
  }

  /**
   * Returns a copy of the packed zero points.
   *
   * @return the zero_points input of MatMulNBits, flattened from shape [N, ceil(k_blocks / 2)]
   */
  @Override
  public byte[] zeroPoints() {
    return zeroPoints.clone();
  }

  /**
   * Unpacks the code of one weight element.
   *
   * @param row the row k, in [0, K)
   * @param col the column n, in [0, N)
   * @return the unsigned 4-bit code, 0..15
   */
  public int code(int row, int col) {
    checkElement(row, col);
    int b = row / blockSize;
    int i = row % blockSize;
    int pos = (col * blocksPerColumn() + b) * blobSize() + i / 2;
    return nibble(packed[pos], i);
  }

  /**
   * Unpacks the zero point of one block.
   *
   * @param col the column n, in [0, N)
   * @param block the block index along K, in [0, k_blocks)
   * @return the unsigned 4-bit zero point, 0..15
   */
  public int zeroPoint(int col, int block) {
    int blocks = blocksPerColumn();
    Checks.checkArgument(
        col >= 0 && col < cols && block >= 0 && block < blocks,
        "Block (%s, %s) is outside %s x %s",
        col,
        block,
        cols,
        blocks);
    return nibble(zeroPoints[col * ((blocks + 1) / 2) + block / 2], block);
  }

  /**
   * Returns the scale of one block.
   *
   * @param col the column n, in [0, N)
   * @param block the block index along K, in [0, k_blocks)
   * @return the float32 scale
   */
  public float scale(int col, int block) {
    return scales[col * blocksPerColumn() + block];
  }

  /**
   * Reconstructs one weight element as MatMulNBits does.
   *
   * @param row the row k, in [0, K)
   * @param col the column n, in [0, N)
   * @return {@code (code - zeroPoint) * scale}
   */
  public float dequantize(int row, int col) {
    int b = row / blockSize;
    return (code(row, col) - zeroPoint(col, b)) * scale(col, b);
  }

  /**
   * Reconstructs the whole weight.
   *
   * @return {@code W'[K, N]}, row-major
   */
  public float[] dequantize() {
    float[] out = new float[rows * cols];
    for (int k = 0; k < rows; k++) {
      for (int n = 0; n < cols; n++) {
        out[k * cols + n] = dequantize(k, n);
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Int4Blocks other
        && rows == other.rows
        && cols == other.cols
        && blockSize == other.blockSize
        && symmetric == other.symmetric
        && Arrays.equals(packed, other.packed)
        && Arrays.equals(scales, other.scales)
        && Arrays.equals(zeroPoints, other.zeroPoints);
  }

  @Override
  public int hashCode() {
    int h = rows;
    h = 31 * h + cols;
    h = 31 * h + blockSize;
    h = 31 * h + Boolean.hashCode(symmetric);
    h = 31 * h + Arrays.hashCode(packed);
    h = 31 * h + Arrays.hashCode(scales);
    return 31 * h + Arrays.hashCode(zeroPoints);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "Int4Blocks[K=%d, N=%d, blockSize=%d, blocks=%d, symmetric=%s]",
        rows,
        cols,
        blockSize,
        blocksPerColumn(),
        symmetric);
  }

  private void checkElement(int row, int col) {
    Checks.checkArgument(
        row >= 0 && row < rows && col >= 0 && col < cols,
        "Element (%s, %s) is outside %s x %s",
        row,
        col,
        rows,
        cols);
  }

  private static int nibble(byte b, int index) {
    return (index & 1) == 0 ? b & 0x0F : (b >> 4) & 0x0F;
  }
}
