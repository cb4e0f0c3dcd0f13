package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ResizableConv2d: one conv geometry at changing input sizes matches Conv2dReference at each, keeps its
 * kernel while the size holds (constant weights packed once still give the right sums after a
 * size change), and refuses an input too small for the window.
 */
class ResizableConv2dTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static MemorySegment random(Arena a, long floats, long seed) {
        Random r = new Random(seed);
        MemorySegment m = a.allocate(floats * 4, 64);
        for (long i = 0; i < floats; i++) {
            m.setAtIndex(F32, i, r.nextFloat() - 0.5f);
        }
        return m;
    }

    @Test
    void followsTheInputSize() {
        // 3x3 stride 2 pad 1, 12 -> 16 channels: the band or im2col kernel by size.
        int c = 12;
        int m = 16;
        ResizableConv2d conv = new ResizableConv2d(c, m, 3, 3, 2, 2, 1, 1, 1, 1, 1, true);
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(2)) {
            MemorySegment w = random(a, (long) m * c * 9, 1);
            MemorySegment b = random(a, m, 2);
            int[][] sizes = {{9, 14}, {32, 20}, {1, 1}, {9, 14}};
            Conv2d last = null;
            for (int[] hw : sizes) {
                int h = hw[0];
                int wd = hw[1];
                int oh = Math.floorDiv(h + 2 - 3, 2) + 1;
                int ow = Math.floorDiv(wd + 2 - 3, 2) + 1;
                MemorySegment x = random(a, (long) c * h * wd, h * 31 + wd);
                MemorySegment y = a.allocate((long) m * oh * ow * 4, 64);
                MemorySegment want = a.allocate((long) m * oh * ow * 4, 64);
                Conv2d k = conv.at(h, wd, oh, ow);
                assertSame(k, conv.at(h, wd, oh, ow), "same size, same kernel");
                if (last != null) {
                    assertNotSame(last, k, "a new size makes a new kernel");
                }
                last = k;
                k.run(1, x, 0, w, 0, b, 0, y, 0, ConvActivation.RELU, 0f, 0f, par);
                Conv2dReference.run(k.shape(), 1, x, 0, w, 0, b, 0, want, 0, ConvActivation.RELU, 0f, 0f);
                for (long i = 0; i < (long) m * oh * ow; i++) {
                    assertEquals(want.getAtIndex(F32, i), y.getAtIndex(F32, i), 1e-4, h + "x" + wd + " at " + i);
                }
            }
        }
        ResizableConv2d big = new ResizableConv2d(4, 4, 5, 5, 1, 1, 0, 0, 1, 1, 1, true);
        assertThrows(IllegalArgumentException.class, () -> big.at(3, 3, -1, -1));
    }
}
