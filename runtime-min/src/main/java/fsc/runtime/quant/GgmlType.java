package fsc.runtime.quant;

import fsc.runtime.RuntimeFailure;

/**
 * The GGUF/ggml weight layouts the runtime can compute with: block size (elements) and block bytes
 * from ggml's {@code type_traits}, and the id a GGUF file stores. One table, so kernels, tests and
 * the compiler agree on the geometry.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q8_0(8, 32, 34),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    BF16(30, 1, 2);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The ggml type number stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    public int blockSize() {
        return blockSize;
    }

    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes of {@code n} elements; {@code n} must be a whole number of blocks. */
    public long bytesFor(long n) {
        if (n < 0 || n % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + n);
        }
        return n / blockSize * blockBytes;
    }

    public static GgmlType byId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        throw new RuntimeFailure("ggml type " + id + " is not supported by the fsc runtime");
    }
}
