package fsc.runtime.io;

import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * NumPy {@code .npy} files, versions 1.0, 2.0 and 3.0 (format described in NumPy's
 * {@code numpy/lib/format.py}): a 6-byte magic {@code \x93NUMPY}, a version, a little-endian header
 * length (2 bytes in 1.0, 4 in 2.0/3.0), a Python dict literal with {@code descr},
 * {@code fortran_order} and {@code shape}, padded so the data starts 64-byte aligned, then the raw
 * C-order elements.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;

    private Npy() {}

    /** Reads a whole {@code .npy} file into GC-managed native memory. */
    public static Tensor read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                Arena arena = Arena.ofConfined()) {
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return parse(file, map);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Tensor parse(Path file, MemorySegment map) {
        long size = map.byteSize();
        if (size < 10) {
            throw fail(file, size, "truncated: " + size + " bytes is shorter than the 10-byte .npy preamble");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (map.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) {
                throw fail(file, i, "not a .npy file (bad magic; expected \\x93NUMPY)");
            }
        }
        int major = Byte.toUnsignedInt(map.get(ValueLayout.JAVA_BYTE, 6));
        long headerLen;
        long headerStart;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(map.get(Bytes.U16, 8));
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (size < 12) {
                throw fail(file, size, "truncated in the header length");
            }
            headerLen = Integer.toUnsignedLong(map.get(Bytes.U32, 8));
            headerStart = 12;
        } else {
            throw fail(file, 6, "unsupported .npy version " + major + "; 1.0, 2.0 and 3.0 are supported");
        }
        if (headerStart + headerLen > size) {
            throw fail(file, size, "truncated: header says " + headerLen + " bytes but the file ends");
        }
        byte[] headerBytes = map.asSlice(headerStart, headerLen).toArray(ValueLayout.JAVA_BYTE);
        // Versions 1 and 2 are latin-1; 3 is UTF-8. The keys we read are ASCII either way.
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header h = new HeaderParser(file, header, headerStart).parse();
        ElemType type;
        try {
            type = ElemType.fromNpyDescr(h.descr);
        } catch (RuntimeFailure e) {
            throw fail(file, headerStart, e.getMessage());
        }
        long dataStart = headerStart + headerLen;
        long bytes;
        try {
            bytes = Math.multiplyExact(Tensor.countOf(h.shape), type.byteSize());
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw fail(
                    file,
                    headerStart,
                    "shape " + shapeTuple(h.shape) + " of " + type.shortName() + " overflows a 64-bit byte count");
        }
        if (bytes > size - dataStart) {
            throw fail(
                    file,
                    size,
                    "truncated: shape " + shapeTuple(h.shape) + " of " + type.shortName() + " needs " + bytes
                            + " data bytes from offset " + dataStart + ", the file has " + (size - dataStart));
        }
        Tensor t = Tensor.allocate(type, h.shape, Arena.ofAuto());
        MemorySegment.copy(map, dataStart, t.data(), 0, bytes);
        return t;
    }

    /** Writes {@code t} as a version 1.0 file (2.0 when the header would not fit in 64 KiB). */
    public static void write(Path file, Tensor t) {
        String dict = "{'descr': '" + t.type().npyDescr() + "', 'fortran_order': False, 'shape': "
                + shapeTuple(t.shape()) + ", }";
        byte[] dictBytes = dict.getBytes(StandardCharsets.ISO_8859_1);
        // Header text ends with '\n' and is space-padded so that the data starts 64-byte aligned.
        int version = roundUp(10 + dictBytes.length + 1, ALIGN) - 10 > 0xFFFF ? 2 : 1;
        int preamble = version == 1 ? 10 : 12;
        int padded = roundUp(preamble + dictBytes.length + 1, ALIGN) - preamble;
        byte[] head = new byte[preamble + padded];
        System.arraycopy(MAGIC, 0, head, 0, MAGIC.length);
        head[6] = (byte) version;
        head[7] = 0;
        MemorySegment headSeg = MemorySegment.ofArray(head);
        if (version == 1) {
            headSeg.set(Bytes.U16, 8, (short) padded);
        } else {
            headSeg.set(Bytes.U32, 8, padded);
        }
        System.arraycopy(dictBytes, 0, head, preamble, dictBytes.length);
        for (int i = preamble + dictBytes.length; i < head.length - 1; i++) {
            head[i] = ' ';
        }
        head[head.length - 1] = '\n';
        try (FileChannel ch = FileChannel.open(
                        file,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                OutputStream out = Channels.newOutputStream(ch)) {
            out.write(head);
            Bytes.writeSegment(out, t.data());
        } catch (IOException e) {
            throw new RuntimeFailure("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static String shapeTuple(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(')').toString();
    }

    private static int roundUp(int v, int a) {
        return (v + a - 1) / a * a;
    }

    static RuntimeFailure fail(Path file, long offset, String message) {
        return new RuntimeFailure(file + ": byte " + offset + ": " + message);
    }

    private record Header(String descr, long[] shape) {}

    /** Reads the header's Python dict literal: string keys, string/bool/tuple values. */
    private static final class HeaderParser {
        private final Path file;
        private final String s;
        private final long base;
        private int pos;

        HeaderParser(Path file, String s, long base) {
            this.file = file;
            this.s = s;
            this.base = base;
        }

        Header parse() {
            String descr = null;
            long[] shape = null;
            Boolean fortran = null;
            expect('{');
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                String key = string();
                expect(':');
                skipSpace();
                switch (key) {
                    case "descr" -> {
                        if (peek() == '[') {
                            throw error("structured dtypes are not supported");
                        }
                        descr = string();
                    }
                    case "fortran_order" -> fortran = bool();
                    case "shape" -> shape = tuple();
                    default -> throw error("unexpected header key '" + key + "'");
                }
                skipSpace();
                if (peek() == ',') {
                    pos++;
                }
            }
            if (descr == null || shape == null || fortran == null) {
                throw error("header lacks one of 'descr', 'fortran_order', 'shape'");
            }
            if (fortran) {
                throw error("fortran_order=True is not supported; save with np.ascontiguousarray");
            }
            return new Header(descr, shape);
        }

        private String string() {
            skipSpace();
            char q = peek();
            if (q != '\'' && q != '"') {
                throw error("expected a quoted string");
            }
            int end = s.indexOf(q, pos + 1);
            if (end < 0) {
                throw error("unterminated string");
            }
            String v = s.substring(pos + 1, end);
            pos = end + 1;
            return v;
        }

        private boolean bool() {
            if (s.startsWith("True", pos)) {
                pos += 4;
                return true;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return false;
            }
            throw error("expected True or False");
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    pos++;
                    break;
                }
                int start = pos;
                while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                    pos++;
                }
                if (start == pos) {
                    throw error("expected a dimension");
                }
                String digits = s.substring(start, pos);
                try {
                    dims.add(Long.parseLong(digits));
                } catch (NumberFormatException e) {
                    pos = start;
                    throw error("dimension " + (digits.length() > 40 ? digits.substring(0, 40) + "..." : digits)
                            + " does not fit in 64 bits");
                }
                skipSpace();
                if (peek() == ',') {
                    pos++;
                }
            }
            long[] out = new long[dims.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = dims.get(i);
            }
            return out;
        }

        private void expect(char c) {
            skipSpace();
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        private char peek() {
            if (pos >= s.length()) {
                throw error("header ends early");
            }
            return s.charAt(pos);
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private RuntimeFailure error(String message) {
            return fail(file, base + pos, message);
        }
    }
}
