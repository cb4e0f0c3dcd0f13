package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void elemTypeTablesMatchOnnxAndNumpy() {
        assertEquals(1, ElemType.F32.onnxCode());
        assertEquals(7, ElemType.I64.onnxCode());
        assertEquals(9, ElemType.BOOL.onnxCode());
        assertEquals(16, ElemType.BF16.onnxCode());
        assertEquals("<f4", ElemType.F32.npyDescr());
        assertEquals("<i8", ElemType.I64.npyDescr());
        assertEquals("|b1", ElemType.BOOL.npyDescr());
        for (ElemType t : ElemType.values()) {
            assertEquals(t, ElemType.fromOnnxCode(t.onnxCode()));
            if (t.hasNpyDescr()) {
                assertEquals(t, ElemType.fromNpyDescr(t.npyDescr()));
            } else {
                assertThrows(RuntimeFailure.class, t::npyDescr, t.shortName());
            }
        }
        assertEquals(17, ElemType.F8E4M3FN.onnxCode());
        assertEquals(20, ElemType.F8E5M2FNUZ.onnxCode());
        assertEquals(ElemType.U8, ElemType.fromNpyDescr("|u1"));
        assertEquals(ElemType.F64, ElemType.fromNpyDescr("=f8"));
        assertEquals(ElemType.STRING, ElemType.fromOnnxCode(8));
        assertThrows(RuntimeFailure.class, () -> ElemType.fromOnnxCode(14));
        assertThrows(RuntimeFailure.class, () -> ElemType.fromNpyDescr("<c8"));
        assertThrows(RuntimeFailure.class, () -> ElemType.fromNpyDescr(">i4"));
    }

    @Test
    void factoriesAndAccessors() {
        Tensor f = Tensor.ofFloats(new long[] {2, 2}, 1f, -2f, 3.5f, 0f);
        assertEquals(4, f.elementCount());
        assertEquals("[2,2]", f.shapeString());
        assertEquals(3.5f, f.getFloat(2));
        assertArrayEquals(new float[] {1f, -2f, 3.5f, 0f}, f.toFloatArray());
        assertThrows(IllegalStateException.class, () -> f.getLong(0));
        Tensor l = Tensor.ofLongs(new long[] {3}, 5, -6, 7);
        assertArrayEquals(new long[] {5, -6, 7}, l.toLongArray());
        assertEquals(-6f, l.getFloat(1));
        assertEquals("[]", Tensor.ofFloats(new long[0], 4f).shapeString());
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new long[] {3}, 1f));
    }

    @Test
    void convertsNarrowTypesToFloat() {
        Tensor h = Tensor.allocate(ElemType.F16, new long[] {1}, Arena.ofAuto());
        h.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, Float.floatToFloat16(1.5f));
        assertEquals(1.5f, h.getFloat(0));
        Tensor b = Tensor.allocate(ElemType.BF16, new long[] {1}, Arena.ofAuto());
        b.data().set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) (Float.floatToIntBits(-2.5f) >>> 16));
        assertEquals(-2.5f, b.getFloat(0));
        Tensor u = Tensor.allocate(ElemType.U8, new long[] {1}, Arena.ofAuto());
        u.data().set(ValueLayout.JAVA_BYTE, 0, (byte) 200);
        assertEquals(200, u.getLong(0));
    }

    @Test
    void shapeIsCopiedAndSizeChecked() {
        long[] shape = {2, 3};
        Tensor t = Tensor.allocate(ElemType.I32, shape, Arena.ofAuto());
        shape[0] = 99;
        assertEquals(2, t.shape()[0]);
        assertEquals(24, t.data().byteSize());
        assertThrows(IllegalArgumentException.class, () -> new Tensor(ElemType.F32, new long[] {2}, t.data()));
    }
}
