package fsc.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryElementType() {
        for (ElemType type : ElemType.values()) {
            Tensor t = Tensor.allocate(type, new long[] {2, 3}, Arena.ofAuto());
            if (!type.hasNpyDescr()) {
                // NumPy cannot name the 8-bit floats apart: writing one fails loudly rather than mislabelled.
                assertThrows(RuntimeFailure.class, () -> Npy.write(dir.resolve(type + ".npy"), t));
                continue;
            }
            for (long i = 0; i < t.data().byteSize(); i++) {
                t.data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 37 + type.ordinal()));
            }
            Path f = dir.resolve(type + ".npy");
            Npy.write(f, t);
            Tensor back = Npy.read(f);
            assertEquals(type, back.type());
            assertArrayEquals(new long[] {2, 3}, back.shape());
            assertEquals(-1L, back.data().mismatch(t.data()), type.toString());
        }
    }

    @Test
    void writesAlignedVersion1HeaderNumpyCanRead() throws IOException {
        Path f = dir.resolve("x.npy");
        Npy.write(f, Tensor.ofFloats(new long[] {3}, 1f, 2f, 3f));
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(1, bytes[6]);
        int headerLen = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
        assertEquals(0, (10 + headerLen) % 64, "data must start 64-byte aligned");
        String header = new String(bytes, 10, headerLen, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), header);
        assertTrue(header.endsWith("\n"));
        assertEquals(10 + headerLen + 12, bytes.length);
    }

    @Test
    void readsVersion2And3AndScalarsAndDoubleQuotes() throws IOException {
        for (int version : new int[] {2, 3}) {
            Path f = dir.resolve("v" + version + ".npy");
            write(f, version, "{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (2, 1)}", longs(7, -9));
            Tensor t = Npy.read(f);
            assertEquals(ElemType.I64, t.type());
            assertArrayEquals(new long[] {7, -9}, t.toLongArray());
            assertArrayEquals(new long[] {2, 1}, t.shape());
        }
        Path s = dir.resolve("scalar.npy");
        write(s, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", doubleBytes(2.5));
        Tensor t = Npy.read(s);
        assertEquals(0, t.rank());
        assertEquals(2.5f, t.getFloat(0));
    }

    @Test
    void rejectsFortranOrderBadMagicTruncationAndBigEndian() throws IOException {
        Path fortran = dir.resolve("f.npy");
        write(fortran, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", new byte[4]);
        assertMessage(fortran, "fortran_order=True");

        Path magic = dir.resolve("m.npy");
        Files.write(magic, "PK\u0003\u0004not numpy at all".getBytes(StandardCharsets.ISO_8859_1));
        assertMessage(magic, "byte 0: not a .npy file");

        Path shortData = dir.resolve("t.npy");
        write(shortData, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[12]);
        assertMessage(shortData, "truncated");

        Path tiny = dir.resolve("tiny.npy");
        Files.write(tiny, new byte[] {(byte) 0x93, 'N', 'U'});
        assertMessage(tiny, "byte 3: truncated");

        Path big = dir.resolve("b.npy");
        write(big, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        assertMessage(big, "big-endian");
    }

    /** A shape whose byte count overflows 64 bits (or is negative) is a bad file, not an ArithmeticException. */
    @Test
    void rejectsShapesWhoseSizeOverflows() throws IOException {
        Path huge = dir.resolve("h.npy");
        write(huge, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", new byte[4]);
        assertMessage(huge, "overflows a 64-bit byte count");
        write(huge, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", new byte[4]);
        assertMessage(huge, "overflows a 64-bit byte count");
        write(huge, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693951,), }", new byte[4]);
        assertMessage(huge, "truncated");
        write(huge, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", new byte[4]);
        assertMessage(huge, "does not fit in 64 bits");
    }

    private void assertMessage(Path f, String part) {
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'));
    }

    static void write(Path f, int version, String dict, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        byte[] h = (dict + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer len = ByteBuffer.allocate(version == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (version == 1) {
            len.putShort((short) h.length);
        } else {
            len.putInt(h.length);
        }
        out.writeBytes(len.array());
        out.writeBytes(h);
        out.writeBytes(data);
        Files.write(f, out.toByteArray());
    }

    static byte[] longs(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        Arrays.stream(v).forEach(b::putLong);
        return b.array();
    }

    static byte[] doubleBytes(double v) {
        return ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(v)
                .array();
    }
}
