package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Conv2d's four kernels (depthwise, pointwise GEMM, band implicit GEMM, im2col GEMM) against Conv2dReference: odd
 * sizes and vector tails, strides 1-3, asymmetric pads, dilations, groups, batch 2, byte offsets on
 * every operand, with and without bias, every activation, on 1 and 2 threads.
 */
class Conv2dTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static Parallelism two;

    @BeforeAll
    static void start() {
        two = Parallelism.of(2);
    }

    @AfterAll
    static void stop() {
        two.close();
    }

    /** c, h, w, m, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, dh, dw, group. */
    private static final int[][] CASES = {
        // depthwise: 3x3 stride 1 and 2 (MobileNet), 5x5, odd widths around the vector length, dilation
        {8, 24, 96, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},
        {8, 24, 96, 8, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 8},
        {5, 13, 37, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5},
        {3, 9, 17, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 3},
        {4, 11, 19, 4, 3, 3, 1, 2, 0, 2, 1, 0, 2, 2, 4},
        {2, 7, 33, 2, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2},
        {6, 5, 3, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6},
        // widths past four vectors of 16 plus one vector plus a tail, at stride 1 and 2
        {3, 5, 85, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},
        {2, 6, 171, 2, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 2},
        // planes shorter than the kernel, where most kernel rows read the pads (the classifier's
        // 2×96 and 3×96 blocks), with stride 2 and dilation
        {6, 2, 37, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 6},
        {4, 3, 40, 4, 5, 5, 2, 1, 2, 2, 2, 2, 1, 1, 4},
        {3, 1, 20, 3, 3, 3, 1, 1, 2, 1, 2, 1, 2, 1, 3},
        {2, 4, 9, 2, 3, 3, 1, 1, 5, 1, 0, 1, 2, 1, 2},
        // pointwise: 1x1 stride 1, plain and grouped, pixel counts with tails
        {16, 6, 96, 24, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
        {7, 5, 13, 9, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
        {8, 3, 7, 12, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 4},
        // im2col: 3x3 stride 2 stem, 1x1 with stride, asymmetric pads, dilation, groups of several
        {3, 48, 192, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
        {6, 9, 11, 10, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1},
        {4, 10, 13, 5, 3, 2, 1, 3, 2, 0, 0, 1, 1, 1, 1},
        {4, 12, 12, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2},
        {6, 8, 9, 4, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2},
        {3, 7, 7, 7, 7, 7, 1, 1, 3, 3, 3, 3, 1, 1, 1},
        // stride-2 runs longer than a vector, with dilation and a run starting in the left pad
        {3, 9, 70, 5, 3, 3, 1, 2, 1, 1, 1, 1, 1, 2, 1},
        {2, 5, 131, 3, 3, 5, 2, 2, 1, 2, 1, 2, 1, 1, 1},
        // packed columns: output rows that straddle panels, K past one GEMM K block (40·9 = 360)
        {40, 9, 37, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {5, 4, 80, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {3, 11, 45, 9, 3, 3, 2, 3, 0, 2, 2, 1, 1, 2, 1},
        // more than one block of packed columns (the block boundary falls inside an output row)
        {40, 30, 37, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {64, 41, 45, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
        // depthwise with a channel multiplier goes the grouped GEMM way
        {3, 6, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},
        // band (implicit GEMM, >= 8 channels per group): the detector's 3x3 at stride 1 and 2, odd
        // channel and filter counts (filter tiles cut short, odd k per tap), asymmetric pads,
        // dilation, stride 3, groups, 5x5, rows wider than a panel, several bands (many channels)
        {9, 11, 37, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {16, 12, 40, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
        {11, 9, 35, 5, 3, 3, 2, 2, 0, 1, 1, 0, 1, 1, 1},
        {8, 10, 41, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1},
        {10, 13, 43, 9, 3, 5, 2, 1, 1, 2, 1, 2, 2, 1, 1},
        {8, 10, 46, 6, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},
        {24, 7, 33, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
        {9, 9, 30, 17, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1},
        {120, 40, 33, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {300, 9, 20, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {96, 30, 31, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
        // K >= CONV_GEMM_MIN_K: pointwise and im2col (too narrow for the band) on ConvGemm
        {300, 3, 7, 10, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
        {40, 9, 5, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        // depthwise, flat kernel (rows split by phase too): 5x5 on 20x20 planes, strides 2 both
        // ways with dilation and odd pads, a stride of 3 in rows only, a plane as tall as its kernel
        {7, 20, 20, 7, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 7},
        {5, 23, 29, 5, 3, 3, 2, 2, 1, 2, 1, 0, 2, 2, 5},
        {4, 19, 21, 4, 3, 5, 3, 1, 1, 2, 1, 2, 1, 1, 4},
        {3, 5, 40, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 3},
        // band with many channels on a small plane (ISNet's 1024-channel 3x3 convs): band rows set by
        // the GEMM's columns, not the band's bytes, and weights past ConvGemm.A_BLOCK_BYTES run in
        // blocks of filter tiles (the last one cut short), plain and dilated
        {1024, 6, 9, 72, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {512, 10, 28, 132, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1},
        // a tall plane whose band bytes, not its columns, set the rows: two bands
        {64, 70, 40, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    };

    static ConvShape shape(int[] c) {
        int outH = (c[1] + c[8] + c[10] - ((c[4] - 1) * c[12] + 1)) / c[6] + 1;
        int outW = (c[2] + c[9] + c[11] - ((c[5] - 1) * c[13] + 1)) / c[7] + 1;
        return new ConvShape(
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[12], c[13], c[14], outH, outW);
    }

    @Test
    void blockCasesReallySplitIntoSeveralBlocks() {
        for (int[] c : new int[][] {
            {40, 30, 37, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {64, 41, 45, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1}
        }) {
            ConvShape s = shape(c);
            assertTrue(Conv2d.blockPixels(s) < s.outPixels(), "one block covers " + s);
            assertTrue(Conv2d.blockPixels(s) % Sgemm.panelWidth() == 0);
        }
    }

    @Test
    void bandCasesRunTheBandKernelAndSomeSpanSeveralBands() {
        int bands = 0;
        for (int[] c : CASES) {
            ConvShape s = shape(c);
            if (c[0] / c[14] >= 8 && c[4] * c[5] > 1 && s.outW() >= 16) {
                assertEquals(Conv2d.Kind.BAND, Conv2d.kindOf(s), s::toString);
                if (new ConvBand(s).bandRows() < s.outH()) {
                    bands++;
                }
            }
        }
        assertTrue(bands >= 2, "cases spanning several bands: " + bands);
    }

    @Test
    void largeWeightsRunInBlocksOfFilterTiles() {
        for (int[] c : new int[][] {CASES[CASES.length - 3], CASES[CASES.length - 2]}) {
            ConvShape s = shape(c);
            assertEquals(Conv2d.Kind.BAND, Conv2d.kindOf(s), s::toString);
            ConvBand band = new ConvBand(s);
            assertTrue(band.gemm.blockTiles() < (s.filters() + Sgemm.MR - 1) / Sgemm.MR, s::toString);
            assertTrue(
                    (long) band.bandRows() * ConvBand.pitch(s)
                            >= Math.min(ConvBand.MIN_BAND_COLUMNS, s.outH() * ConvBand.pitch(s)),
                    s::toString);
        }
    }

    @Test
    void constantWeightsArePackedOnceAndReused() {
        Random r = new Random(5);
        for (int[] c : new int[][] {CASES[41], CASES[42], CASES[30]}) {
            ConvShape s = shape(c);
            Conv2d conv = new Conv2d(s, true);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment x = random(arena, (long) s.channels() * s.inPixels(), 0, r);
                MemorySegment w = random(arena, (long) s.filters() * s.columnRows(), 0, r);
                MemorySegment first = arena.allocate((long) s.filters() * s.outPixels() * 4);
                MemorySegment want = arena.allocate(first.byteSize());
                conv.run(1, x, 0, w, 0, null, 0, first, 0, ConvActivation.NONE, 0f, 0f, null);
                Conv2dReference.run(s, 1, x, 0, w, 0, null, 0, want, 0, ConvActivation.NONE, 0f, 0f);
                // The contract: a constant-weight conv does not read w again after its first call.
                MemorySegment other = random(arena, (long) s.filters() * s.columnRows(), 0, r);
                MemorySegment again = arena.allocate(first.byteSize());
                conv.run(1, x, 0, other, 0, null, 0, again, 0, ConvActivation.NONE, 0f, 0f, two);
                for (long i = 0; i < first.byteSize() / 4; i++) {
                    float e = want.get(F32, i * 4);
                    assertEquals(e, first.get(F32, i * 4), 1e-4f * (1 + Math.abs(e)), s::toString);
                    assertEquals(e, again.get(F32, i * 4), 1e-4f * (1 + Math.abs(e)), s::toString);
                }
            }
        }
    }

    @Test
    void matchesReferenceOnEveryShapeActivationAndThreadCount() {
        Random r = new Random(11);
        ConvActivation[] acts = ConvActivation.values();
        int i = 0;
        for (int[] c : CASES) {
            ConvShape s = shape(c);
            Conv2d conv = new Conv2d(s);
            for (int batch = 1; batch <= 2; batch++) {
                boolean withBias = (i & 1) == 0;
                ConvActivation act = acts[i % acts.length];
                i++;
                check(conv, s, batch, withBias, act, null, r);
                check(conv, s, batch, !withBias, acts[i % acts.length], two, r);
            }
        }
    }

    private static void check(
            Conv2d conv, ConvShape s, int batch, boolean withBias, ConvActivation act, Parallelism par, Random r) {
        try (Arena arena = Arena.ofShared()) {
            long xn = (long) batch * s.channels() * s.inPixels();
            long wn = (long) s.filters() * s.columnRows();
            long yn = (long) batch * s.filters() * s.outPixels();
            // Odd byte offsets inside larger segments: the kernels must not assume alignment.
            MemorySegment x = random(arena, xn, 3, r);
            MemorySegment w = random(arena, wn, 5, r);
            MemorySegment b = withBias ? random(arena, s.filters(), 7, r) : null;
            MemorySegment got = arena.allocate((yn + 4) * 4);
            MemorySegment want = arena.allocate(yn * 4);
            conv.run(batch, x, 12, w, 20, b, 28, got, 16, act, -0.25f, 0.5f, par);
            Conv2dReference.run(s, batch, x, 12, w, 20, b, 28, want, 0, act, -0.25f, 0.5f);
            for (long i = 0; i < yn; i++) {
                long j = i;
                float e = want.get(F32, j * 4);
                float a = got.get(F32, 16 + j * 4);
                assertEquals(e, a, 1e-4f * (1 + Math.abs(e)), () -> s + " batch " + batch + " " + act + " at " + j);
            }
        }
    }

    /** {@code n} floats in [-1, 1) after {@code pad} floats of lead (so offsets are inside the segment). */
    private static MemorySegment random(Arena arena, long n, int pad, Random r) {
        MemorySegment m = arena.allocate((n + pad) * 4 + 4);
        for (long j = 0; j < n + pad; j++) {
            m.set(F32, j * 4, r.nextFloat() * 2 - 1);
        }
        return m;
    }

    @Test
    void choosesTheKernelByShape() {
        assertEquals(Conv2d.Kind.DEPTHWISE, Conv2d.kindOf(shape(CASES[0])));
        assertEquals(Conv2d.Kind.POINTWISE, Conv2d.kindOf(shape(CASES[13])));
        assertEquals(Conv2d.Kind.IM2COL, Conv2d.kindOf(shape(CASES[16])));
        assertEquals(Conv2d.Kind.BAND, Conv2d.kindOf(shape(CASES[30])));
        assertEquals(Conv2d.Kind.POINTWISE, Conv2d.kindOf(shape(CASES[41])));
        assertEquals(Conv2d.Kind.IM2COL, Conv2d.kindOf(shape(CASES[42])));
        assertTrue(shape(CASES[41]).columnRows() >= Conv2d.CONV_GEMM_MIN_K);
        assertTrue(shape(CASES[42]).columnRows() >= Conv2d.CONV_GEMM_MIN_K);
        assertTrue(shape(CASES[0]).isDepthwise());
        assertFalse(shape(CASES[0]).isPointwise());
        assertTrue(shape(CASES[13]).isPointwise());
        assertFalse(shape(CASES[17]).isPointwise());
        assertFalse(shape(CASES[22]).isDepthwise());
    }

    @Test
    void rejectsInconsistentGeometry() {
        assertThrows(IllegalArgumentException.class, () -> new ConvShape(6, 4, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> new ConvShape(4, 4, 4, 4, 3, 3, 0, 1, 1, 1, 1, 1, 1, 4, 4));
    }
}
