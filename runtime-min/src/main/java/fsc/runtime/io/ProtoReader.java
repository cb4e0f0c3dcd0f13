package fsc.runtime.io;

import fsc.runtime.RuntimeFailure;
import java.nio.file.Path;

/**
 * Protocol Buffers wire format, read side (encoding described at protobuf.dev "Encoding"): a field
 * is a varint tag {@code (number << 3) | wireType} followed by a varint (0), 8 bytes (1), a
 * varint-length-prefixed byte run (2) or 4 bytes (5). Groups (3, 4) are obsolete and refused.
 * Every error names the file and the byte offset where decoding failed.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final Path file;
    private final byte[] buf;
    private int pos;
    private final int limit;

    ProtoReader(Path file, byte[] buf, int from, int limit) {
        this.file = file;
        this.buf = buf;
        this.pos = from;
        this.limit = limit;
    }

    boolean atEnd() {
        return pos >= limit;
    }

    int position() {
        return pos;
    }

    /** The next tag, or throws at end of input; callers test {@link #atEnd()} first. */
    int tag() {
        long tag = varint();
        if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) {
            throw error(pos, "invalid field tag " + tag);
        }
        return (int) tag;
    }

    long varint() {
        long result = 0;
        int start = pos;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw error(start, "truncated varint");
            }
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw error(start, "varint longer than 10 bytes");
    }

    int fixed32() {
        need(4);
        int v = (buf[pos] & 0xFF)
                | (buf[pos + 1] & 0xFF) << 8
                | (buf[pos + 2] & 0xFF) << 16
                | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    long fixed64() {
        long lo = Integer.toUnsignedLong(fixed32());
        long hi = Integer.toUnsignedLong(fixed32());
        return lo | hi << 32;
    }

    /** Reads a length prefix and returns a reader over exactly those bytes, advancing past them. */
    ProtoReader sub() {
        int len = length();
        ProtoReader r = new ProtoReader(file, buf, pos, pos + len);
        pos += len;
        return r;
    }

    int length() {
        int at = pos;
        long len = varint();
        if (len < 0 || len > limit - pos) {
            throw error(at, "length " + len + " runs past the end of the message (" + (limit - pos) + " bytes left)");
        }
        return (int) len;
    }

    /** Advances past {@code len} bytes already bounds-checked by {@link #length()}. */
    void skipBytes(int len) {
        pos += len;
    }

    void skip(int wireType) {
        int at = pos;
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> {
                need(8);
                pos += 8;
            }
            case LEN -> {
                // Not "pos += length()": Java reads pos before length() moves it past the prefix, so
                // the prefix's own bytes would be read again as the next tag.
                int len = length();
                pos += len;
            }
            case FIXED32 -> {
                need(4);
                pos += 4;
            }
            default -> throw error(at, "unsupported wire type " + wireType);
        }
    }

    private void need(int n) {
        if (limit - pos < n) {
            throw error(pos, "truncated: need " + n + " bytes, " + (limit - pos) + " left");
        }
    }

    RuntimeFailure error(int offset, String message) {
        return new RuntimeFailure(file + ": byte " + offset + ": " + message);
    }
}
