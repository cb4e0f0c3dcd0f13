package fsc.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class PanelLayoutTest {

    private static float[] floats(WeightData w) {
        ByteBuffer b = w.view();
        float[] out = new float[b.remaining() / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getFloat(i * 4);
        }
        return out;
    }

    @Test
    void packsColumnPanelsRowByRowWithZeroPadding() {
        // B[2,3] = [[1,2,3],[4,5,6]] in panels of 2: panel 0 = cols 0-1, panel 1 = col 2 + padding.
        WeightData b = TestWeights.floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        WeightData p = PanelLayout.pack(b, false, 2);
        assertEquals(TensorType.of(DType.F32, 2, 2, 2), p.type());
        assertArrayEquals(new float[] {1, 2, 4, 5, 3, 0, 6, 0}, floats(p));
    }

    @Test
    void transposedSourceGivesTheSamePanels() {
        WeightData bt = TestWeights.floats(new long[] {3, 2}, 1, 4, 2, 5, 3, 6);
        assertArrayEquals(
                floats(PanelLayout.pack(TestWeights.floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), false, 2)),
                floats(PanelLayout.pack(bt, true, 2)));
    }

    @Test
    void rowMajorUndoesPack() {
        WeightData b = TestWeights.floats(new long[] {3, 5}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        TensorType t = TensorType.of(DType.F32, 3, 5).withLayout(PanelLayout.tag(4));
        WeightData p = PanelLayout.pack(b, false, 4);
        assertEquals(PanelLayout.storageType(t), p.type());
        assertArrayEquals(floats(b), floats(PanelLayout.rowMajor(p, t)));
    }

    @Test
    void tagsAndStorageTypes() {
        assertEquals(OptionalInt.of(16), PanelLayout.width("panel16"));
        assertEquals(OptionalInt.empty(), PanelLayout.width(""));
        assertEquals(OptionalInt.empty(), PanelLayout.width("panel0"));
        assertEquals(
                TensorType.of(DType.F32, 24, 384, 16),
                PanelLayout.storageType(TensorType.of(DType.F32, 384, 384).withLayout("panel16")));
        FscException e = assertThrows(
                FscException.class,
                () -> PanelLayout.storageType(TensorType.of(DType.F32, 2, 3, 4).withLayout("panel8")));
        assertEquals("layout {panel8} needs a fixed-size f32 or i8 matrix, not f32[2,3,4]{panel8}", e.getMessage());
        assertEquals(
                TensorType.of(DType.I8, 2, 70, 32),
                PanelLayout.storageType(TensorType.of(DType.I8, 70, 37).withLayout("panel32")));
    }

    /** s8 weights (the quant-gemm pass): one byte per element, the same panel order. */
    @Test
    void bytesPackAndUnpack() {
        byte[] raw = new byte[5 * 7];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (i * 37 - 100);
        }
        WeightData b = new WeightData(DType.I8, java.util.List.of(5L, 7L), java.nio.ByteBuffer.wrap(raw));
        TensorType t = TensorType.of(DType.I8, 5, 7).withLayout(PanelLayout.tag(4));
        WeightData p = PanelLayout.pack(b, false, 4);
        assertEquals(PanelLayout.storageType(t), p.type());
        // Element (k=2, col=5) sits in panel 1, row 2, lane 1.
        assertEquals(raw[2 * 7 + 5], p.view().get((1 * 5 + 2) * 4 + 1));
        assertEquals(0, p.view().get((1 * 5 + 2) * 4 + 3), "padding column");
        java.nio.ByteBuffer back = PanelLayout.rowMajor(p, t).view();
        for (int i = 0; i < raw.length; i++) {
            assertEquals(raw[i], back.get(i), "element " + i);
        }
    }
}
