package fsc.ir.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.TestWeights;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HostTensorTest {

    @Test
    void storesRoundToTheElementType() {
        HostTensor t = HostTensor.zeros(DType.I8, new long[] {3});
        t.setDouble(0, -2.9);
        t.setLong(1, 200);
        t.setDouble(2, 7.5);
        assertArrayEquals(new long[] {-2, -56, 7}, t.toLongArray());
        HostTensor u = HostTensor.zeros(DType.U8, new long[] {1});
        u.setLong(0, 200);
        assertEquals(200, u.getLong(0));
        HostTensor f = HostTensor.zeros(DType.F32, new long[] {1});
        f.setDouble(0, 0.1);
        assertEquals((float) 0.1, f.getDouble(0));
        HostTensor h = HostTensor.zeros(DType.F16, new long[] {2});
        h.setDouble(0, 0.1);
        h.setDouble(1, 65520);
        assertEquals(0.0999755859375, h.getDouble(0));
        assertEquals(Double.POSITIVE_INFINITY, h.getDouble(1));
    }

    @Test
    void randomIsReproducibleAndInRange() {
        HostTensor a = HostTensor.random(DType.F32, new long[] {64}, new Random(7));
        HostTensor b = HostTensor.random(DType.F32, new long[] {64}, new Random(7));
        assertEquals(0, a.maxAbsDiff(b));
        for (float v : a.toFloatArray()) {
            assertTrue(v >= -1 && v < 1, "value " + v);
        }
        for (long v :
                HostTensor.random(DType.I64, new long[] {64}, new Random(7)).toLongArray()) {
            assertTrue(v >= 0 && v < 4, "value " + v);
        }
    }

    @Test
    void maxAbsDiffTreatsNanAndShapes() {
        HostTensor a = HostTensor.ofFloats(new long[] {2}, 1, Float.NaN);
        assertEquals(0, a.maxAbsDiff(HostTensor.ofFloats(new long[] {2}, 1, Float.NaN)));
        assertEquals(0.5, a.maxAbsDiff(HostTensor.ofFloats(new long[] {2}, 1.5f, Float.NaN)));
        assertEquals(Double.POSITIVE_INFINITY, a.maxAbsDiff(HostTensor.ofFloats(new long[] {2}, 1, 2)));
        assertEquals(Double.POSITIVE_INFINITY, a.maxAbsDiff(HostTensor.ofFloats(new long[] {1, 2}, 1, Float.NaN)));
    }

    @Test
    void weightsRoundTrip() {
        HostTensor t = HostTensor.fromWeight(TestWeights.vector(3, -1));
        assertArrayEquals(new long[] {3, -1}, t.toLongArray());
        assertEquals(TestWeights.vector(3, -1).type(), t.toWeight().type());
        assertThrows(IllegalArgumentException.class, () -> HostTensor.ofFloats(new long[] {3}, 1, 2));
    }
}
