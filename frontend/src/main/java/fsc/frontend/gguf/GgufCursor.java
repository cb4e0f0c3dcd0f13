package fsc.frontend.gguf;

import fsc.ir.FscException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked little-endian reader over a mapped GGUF file. Every read first checks that the
 * bytes exist, so a truncated or hostile file ends in one {@link FscException} naming the file, what
 * was being read and the byte offset, never in an {@code IndexOutOfBoundsException}.
 */
final class GgufCursor {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Java strings hold at most 2^31 chars; no real metadata string comes near 1 GiB. */
    private static final long MAX_STRING_BYTES = 1L << 30;

    private final MemorySegment file;
    private final String label;
    private long pos;

    GgufCursor(MemorySegment file, String label) {
        this.file = file;
        this.label = label;
    }

    long position() {
        return pos;
    }

    long remaining() {
        return file.byteSize() - pos;
    }

    /** A user error at {@code offset}: "model.gguf: what at byte offset N". */
    FscException error(String what, long offset) {
        return new FscException(label + ": " + what + " at byte offset " + offset);
    }

    /** Fails unless {@code count} items of at least {@code minBytes} each fit in the rest of the file. */
    void requireRoom(String what, long count, long minBytes) {
        if (count < 0 || (minBytes > 0 && count > remaining() / minBytes)) {
            throw error(
                    what + " " + Long.toUnsignedString(count) + " needs more bytes than the " + remaining()
                            + " left in the file",
                    pos);
        }
    }

    private void need(String what, long n) {
        if (n > remaining()) {
            throw error("file ends inside " + what + " (needs " + n + " bytes, " + remaining() + " left)", pos);
        }
    }

    int u8(String what) {
        need(what, 1);
        return file.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    short i16(String what) {
        need(what, 2);
        short v = file.get(I16, pos);
        pos += 2;
        return v;
    }

    int i32(String what) {
        need(what, 4);
        int v = file.get(I32, pos);
        pos += 4;
        return v;
    }

    long u32(String what) {
        return i32(what) & 0xFFFF_FFFFL;
    }

    long i64(String what) {
        need(what, 8);
        long v = file.get(I64, pos);
        pos += 8;
        return v;
    }

    /** An unsigned 64-bit count or size; values past {@code Long.MAX_VALUE} are rejected. */
    long count(String what) {
        long at = pos;
        long v = i64(what);
        if (v < 0) {
            throw error(what + " " + Long.toUnsignedString(v) + " is too large", at);
        }
        return v;
    }

    /** A GGUF string: uint64 byte length, then UTF-8 bytes (malformed bytes become U+FFFD). */
    String string(String what) {
        long at = pos;
        long n = count(what + " length");
        if (n > remaining()) {
            throw error(what + " length " + n + " exceeds the " + remaining() + " bytes left in the file", at);
        }
        if (n > MAX_STRING_BYTES) {
            throw error(what + " length " + n + " is larger than fsc accepts (" + MAX_STRING_BYTES + ")", at);
        }
        byte[] bytes = file.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
