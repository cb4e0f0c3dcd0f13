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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxTensorFileTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsWithName() {
        Path f = dir.resolve("x.pb");
        Tensor t = Tensor.ofLongs(new long[] {2, 2}, 1, -2, 3, Long.MIN_VALUE);
        OnnxTensorFile.write(f, t, "input_ids");
        OnnxTensorFile.Named back = OnnxTensorFile.readNamed(f);
        assertEquals("input_ids", back.name());
        assertEquals(ElemType.I64, back.tensor().type());
        assertArrayEquals(new long[] {2, 2}, back.tensor().shape());
        assertArrayEquals(t.toLongArray(), back.tensor().toLongArray());
        assertEquals(ElemType.I64, TensorFiles.read(f).type());
    }

    @Test
    void readsTheOnnxBackendTestDataFile() {
        // test_add input_0: float [3,4,5], written by ONNX's numpy_helper (unpacked dims, raw_data).
        Path f = Path.of(System.getProperty("fsc.shared.data", "../../shared/data"))
                .resolve("onnx/node/test_add/test_data_set_0/input_0.pb");
        assertTrue(Files.isRegularFile(f), "test data missing: " + f);
        OnnxTensorFile.Named n = OnnxTensorFile.readNamed(f);
        assertEquals("x", n.name());
        assertEquals(ElemType.F32, n.tensor().type());
        assertArrayEquals(new long[] {3, 4, 5}, n.tensor().shape());
        assertEquals(1.7640524f, n.tensor().getFloat(0), 1e-6f); // numpy seed 0: randn()[0]
    }

    @Test
    void readsTypedFieldsPackedAndUnpacked() throws IOException {
        // float_data packed, dims packed.
        Proto p = new Proto().packedVarints(1, 2).varint(2, 1).packedFixed32(4, 1.5f, -2f);
        Tensor t = decode(p);
        assertArrayEquals(new float[] {1.5f, -2f}, t.toFloatArray());
        // float_data unpacked (wire type 5), dims unpacked.
        t = decode(new Proto().varint(1, 2).varint(2, 1).fixed32(4, 0.25f).fixed32(4, 4f));
        assertArrayEquals(new float[] {0.25f, 4f}, t.toFloatArray());
        // int32_data for int8 and bool; negative int32 varints take 10 bytes.
        t = decode(new Proto()
                .varint(1, 3)
                .varint(2, 3)
                .varint(5, -1)
                .varint(5, 127)
                .varint(5, -128));
        assertEquals(ElemType.I8, t.type());
        assertArrayEquals(new long[] {-1, 127, -128}, t.toLongArray());
        t = decode(new Proto().varint(1, 2).varint(2, 9).packedVarints(5, 1, 0));
        assertArrayEquals(new long[] {1, 0}, t.toLongArray());
        // int64_data, uint64_data for uint32, double_data packed.
        t = decode(new Proto().varint(1, 2).varint(2, 7).packedVarints(7, -5, 1L << 40));
        assertArrayEquals(new long[] {-5, 1L << 40}, t.toLongArray());
        t = decode(new Proto().varint(1, 1).varint(2, 12).varint(11, 4_000_000_000L));
        assertArrayEquals(new long[] {4_000_000_000L}, t.toLongArray());
        t = decode(new Proto().varint(1, 1).varint(2, 11).packedFixed64(10, 0.5));
        assertEquals(0.5f, t.getFloat(0));
        // float16 bits in int32_data.
        t = decode(new Proto().varint(1, 1).varint(2, 10).varint(5, Float.floatToFloat16(-3f)));
        assertEquals(-3f, t.getFloat(0));
        // A scalar: no dims.
        t = decode(new Proto().varint(2, 1).fixed32(4, 9f));
        assertEquals(0, t.rank());
        assertEquals(9f, t.getFloat(0));
    }

    /**
     * Unknown fields are skipped whole: a length-delimited one (doc_string, 12) used to be skipped
     * without its length prefix, so the next byte was read as a tag ("unsupported wire type 6").
     */
    @Test
    void skipsUnknownLengthDelimitedFields() throws IOException {
        Tensor t = decode(new Proto()
                .bytes(12, "a doc string of 30 bytes......".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .varint(1, 2)
                .bytes(12, new byte[200])
                .varint(2, 1)
                .fixed32(4, 0.25f)
                .fixed32(4, 4f));
        assertArrayEquals(new long[] {2}, t.shape());
        assertEquals(4f, t.getFloat(1));
    }

    /** Huge dims with little data are refused before allocating (they used to allocate from the dims). */
    @Test
    void hugeDimsAreCheckedAgainstTheDataBeforeAllocating() throws IOException {
        assertFails(new Proto().varint(1, 1L << 40).varint(2, 1).fixed32(4, 1f), "tensor has 1 values");
        assertFails(new Proto().varint(1, 1L << 40).varint(2, 1).bytes(9, new byte[4]), "raw_data has 4 bytes");
        assertFails(new Proto().varint(1, 1L << 40).varint(1, 1L << 40).varint(2, 1), "overflow a 64-bit size");
    }

    @Test
    void readsStringData() throws IOException {
        Tensor t = decode(new Proto()
                .varint(1, 2)
                .varint(2, 8)
                .bytes(6, "中".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .bytes(6, new byte[0]));
        assertEquals(fsc.runtime.ElemType.STRING, t.type());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new String[] {"中", ""}, t.strings());
    }

    @Test
    void rejectsMalformedAndUnsupportedFiles() throws IOException {
        assertFails(new Proto().varint(1, 2).varint(2, 8).bytes(6, new byte[] {'a'}), "has 1 strings");
        assertFails(new Proto().varint(1, 1).varint(2, 1).varint(14, 1), "EXTERNAL");
        assertFails(new Proto().varint(1, 3).varint(2, 1).fixed32(4, 1f), "has 1 values");
        assertFails(new Proto().varint(1, 2).varint(2, 1).bytes(9, new byte[7]), "raw_data has 7 bytes");
        assertFails(new Proto().varint(1, 1).fixed32(4, 1f), "no data_type");
        assertFails(new Proto().varint(1, 1).varint(2, 1).varint(7, 3), "must be in field 4");
        assertFails(new Proto().varint(1, 1).varint(2, 14).varint(5, 1), "COMPLEX64");
        assertFails(new Proto().varint(1, 2).varint(2, 1).fixed32(4, 1f).varint(5, 1), "in both field 4 and field 5");
        byte[] good =
                new Proto().varint(1, 4).varint(2, 1).bytes(9, new byte[16]).toBytes();
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 3);
        Path f = dir.resolve("cut.pb");
        Files.write(f, cut);
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> OnnxTensorFile.read(f));
        assertTrue(e.getMessage().startsWith(f + ": byte 5: length 16 runs past the end"), e.getMessage());
    }

    private void assertFails(Proto p, String part) throws IOException {
        Path f = dir.resolve("bad.pb");
        Files.write(f, p.toBytes());
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> OnnxTensorFile.read(f));
        assertTrue(e.getMessage().contains(part) && e.getMessage().contains(f.toString()), e.getMessage());
    }

    private Tensor decode(Proto p) throws IOException {
        Path f = dir.resolve("t.pb");
        Files.write(f, p.toBytes());
        return OnnxTensorFile.read(f);
    }

    /** Builds wire-format bytes independently of ProtoWriter, so both sides are checked. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            raw(field << 3);
            raw(v);
            return this;
        }

        Proto fixed32(int field, float v) {
            raw(field << 3 | 5);
            out.writeBytes(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putFloat(v)
                    .array());
            return this;
        }

        Proto packedVarints(int field, long... vs) {
            Proto inner = new Proto();
            for (long v : vs) {
                inner.raw(v);
            }
            return bytes(field, inner.toBytes());
        }

        Proto packedFixed32(int field, float... vs) {
            ByteBuffer b = ByteBuffer.allocate(4 * vs.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : vs) {
                b.putFloat(v);
            }
            return bytes(field, b.array());
        }

        Proto packedFixed64(int field, double... vs) {
            ByteBuffer b = ByteBuffer.allocate(8 * vs.length).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : vs) {
                b.putDouble(v);
            }
            return bytes(field, b.array());
        }

        Proto bytes(int field, byte[] v) {
            raw(field << 3 | 2);
            raw(v.length);
            out.writeBytes(v);
            return this;
        }

        byte[] toBytes() {
            return out.toByteArray();
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
