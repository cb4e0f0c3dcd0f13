package fsc.frontend.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Test helper: GGUF bytes written field by field, so tests can forge any header. */
final class RawGguf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Magic, version, tensor count, metadata count. */
    static RawGguf header(long version, long tensors, long kvs) {
        return new RawGguf()
                .bytes("GGUF".getBytes(StandardCharsets.US_ASCII))
                .u32(version)
                .u64(tensors)
                .u64(kvs);
    }

    RawGguf bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    RawGguf u8(int v) {
        out.write(v);
        return this;
    }

    RawGguf u32(long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    RawGguf u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    RawGguf str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u64(b.length).bytes(b);
    }

    /** A tensor info: name, dims (ggml order), ggml type id, data offset. */
    RawGguf tensor(String name, long[] dims, int type, long offset) {
        str(name).u32(dims.length);
        for (long d : dims) {
            u64(d);
        }
        return u32(type).u64(offset);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    RawGguf pad(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    RawGguf zeros(int n) {
        return bytes(new byte[n]);
    }

    byte[] toBytes() {
        return out.toByteArray();
    }
}
