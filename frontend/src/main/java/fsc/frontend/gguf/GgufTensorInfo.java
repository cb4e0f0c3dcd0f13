package fsc.frontend.gguf;

import java.util.List;

/**
 * One tensor info from a GGUF header. {@code dims} are in ggml order, innermost first ({@code ne0}
 * is the row length); {@link #shape()} gives them outermost first, as fsc's IR writes shapes.
 * {@code offset} is relative to the start of the file's data section.
 */
public record GgufTensorInfo(String name, List<Long> dims, GgmlType type, long offset, long byteSize) {

    public GgufTensorInfo {
        dims = List.copyOf(dims);
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** The dimensions outermost first: a ggml {@code [ne0=64, ne1=512]} matrix is {@code [512, 64]}. */
    public long[] shape() {
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = dims.get(dims.size() - 1 - i);
        }
        return s;
    }
}
