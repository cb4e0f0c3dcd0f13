package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Int8Gemm against Int8GemmReference, bit for bit: odd sizes (tails in m, n and k), k across the
 * KC-sized exact-float blocks (256 and 512 k, and one past each), u8 and s8 A with zero points, column offsets, int32 and rescaled f32
 * outputs (per-tensor and per-column scale, with and without bias), operand offsets, 1 and 2 threads.
 * Each test runs both forms: the Vector API kernel and the AVX-512 VNNI tiles (reported as not run
 * on a CPU without them).
 */
class Int8GemmTest {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private static final int[][] SIZES = {
        {1, 1, 1},
        {3, 17, 63},
        {7, 33, 300},
        {6, 32, 512},
        {8, 40, 256},
        {9, 35, 257},
        {13, 65, 513},
        {17, 384, 384},
        {5, 129, 1536},
        {128, 64, 1100},
        {2, 31, 5},
        {40, 100, 0}
    };

    private static Parallelism two;

    @BeforeAll
    static void start() {
        two = Parallelism.of(2);
    }

    @AfterAll
    static void stop() {
        two.close();
    }

    static Stream<Arguments> forms() {
        return Stream.of(Arguments.of("vector-api"), Arguments.of("avx512-vnni"));
    }

    private static Int8GemmVnni form(String name) {
        if (name.equals("vector-api")) {
            return null;
        }
        assumeTrue(Int8Gemm.VNNI != null, "not run: this CPU (or -XX:MaxVectorSize) gives no AVX-512 VNNI tiles");
        return Int8Gemm.VNNI;
    }

    @ParameterizedTest
    @MethodSource("forms")
    void matchesReferenceExactly(String name) {
        Int8GemmVnni form = form(name);
        Random rnd = new Random(7);
        for (int[] s : SIZES) {
            for (int flags = 0; flags < 16; flags++) {
                check(rnd, s[0], s[1], s[2], flags, null, 1 + (flags & 3), 3, form, false);
                check(rnd, s[0], s[1], s[2], flags, two, 4, 0, form, (flags & 8) != 0);
            }
        }
    }

    /**
     * Per-row scales (the quantize pass's per-token activation scales) after the column scale and
     * before the bias, as {@code row_scale} lowers them: every size, s8 A with zero point 0 (what the
     * pass writes) and u8 with one, per-column and per-tensor scales, with and without bias, 1 and 2
     * threads, native and heap Y (the VNNI form's direct and Java epilogues); and GELU after them
     * (or after the bias alone, as an imported model's FFN has it), against the reference's sums
     * with {@link FloatMath#geluRows} over whole rows: the same vector and tail split, so the same bits.
     */
    @ParameterizedTest
    @MethodSource("forms")
    void rowScaleBiasAndGeluMatchReference(String name) {
        Int8GemmVnni form = form(name);
        Random rnd = new Random(11);
        for (int[] s : SIZES) {
            for (int flags = 0; flags < 32; flags++) {
                boolean rowScaled = (flags & 16) == 0;
                boolean gelu = (flags & 8) != 0;
                if (!rowScaled && !gelu) {
                    continue; // the plain epilogue: matchesReferenceExactly
                }
                checkRowScale(rnd, s[0], s[1], s[2], flags, (flags & 4) != 0 ? two : null, form, rowScaled, gelu);
            }
        }
    }

    private static void checkRowScale(
            Random rnd,
            int m,
            int n,
            int k,
            int flags,
            Parallelism par,
            Int8GemmVnni form,
            boolean rowScaled,
            boolean gelu) {
        boolean unsigned = (flags & 1) != 0;
        boolean bias = (flags & 2) != 0;
        boolean perColumn = (flags & 4) == 0 || (flags & 1) == 0;
        boolean heapY = (flags & 3) == 3;
        int zp = unsigned ? rnd.nextInt(256) : 0;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, rnd, (long) m * k);
            MemorySegment b = random(arena, rnd, (long) k * n);
            MemorySegment packed = arena.allocate(Int8Gemm.packedBytes(k, n, form));
            Int8Gemm.packB(b, 0, k, n, packed, 0, form);
            MemorySegment scale = arena.allocate(4 + 4L * n);
            MemorySegment bs = arena.allocate(4 + 4L * n);
            for (int j = 0; j <= n; j++) {
                scale.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * j, rnd.nextFloat() * 1e-2f);
                bs.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * j, rnd.nextFloat() - 0.5f);
            }
            MemorySegment rows = rowScaled ? arena.allocate(8 + 4L * m) : MemorySegment.NULL;
            for (int i = 0; rowScaled && i < m; i++) {
                rows.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 8 + 4L * i, 0.001f + rnd.nextFloat() * 0.1f);
            }
            MemorySegment biasSeg = bias ? bs : MemorySegment.NULL;
            MemorySegment got = heapY ? MemorySegment.ofArray(new byte[4 * m * n]) : arena.allocate(4L * m * n);
            MemorySegment want = arena.allocate(4L * m * n);
            Int8Gemm.gemm(
                    m,
                    n,
                    k,
                    a,
                    0,
                    unsigned,
                    zp,
                    packed,
                    0,
                    MemorySegment.NULL,
                    0,
                    got,
                    0,
                    scale,
                    4,
                    perColumn,
                    1f,
                    rows,
                    8,
                    biasSeg,
                    4,
                    gelu,
                    par,
                    form);
            Int8GemmReference.gemm(
                    m,
                    n,
                    k,
                    a,
                    0,
                    unsigned,
                    zp,
                    b,
                    0,
                    MemorySegment.NULL,
                    0,
                    want,
                    0,
                    scale,
                    4,
                    perColumn,
                    1f,
                    rows,
                    8,
                    biasSeg,
                    4,
                    false);
            if (gelu) {
                FloatMath.geluRows(want, 0, m, n, 4L * n);
            }
            assertEquals(
                    -1L,
                    want.mismatch(got),
                    "row scale " + rowScaled + ", gelu " + gelu + ": m=" + m + " n=" + n + " k=" + k + " flags=" + flags
                            + " threads=" + (par == null ? 1 : par.threads()));
        }
    }

    /** The largest products everywhere: only exact block sums give the reference's int32. */
    @ParameterizedTest
    @MethodSource("forms")
    void extremeValuesStayExactAcrossBlocks(String name) {
        Int8GemmVnni form = form(name);
        int m = 7;
        int n = 40;
        int k = 2000;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate((long) m * k);
            a.fill((byte) 0xff); // u8 255
            MemorySegment b = arena.allocate((long) k * n);
            b.fill((byte) -128);
            MemorySegment packed = arena.allocate(Int8Gemm.packedBytes(k, n, form));
            Int8Gemm.packB(b, 0, k, n, packed, 0, form);
            MemorySegment got = arena.allocate(4L * m * n);
            MemorySegment want = arena.allocate(4L * m * n);
            Int8Gemm.gemm(
                    m,
                    n,
                    k,
                    a,
                    0,
                    true,
                    0,
                    packed,
                    0,
                    MemorySegment.NULL,
                    0,
                    got,
                    0,
                    MemorySegment.NULL,
                    0,
                    false,
                    1f,
                    MemorySegment.NULL,
                    0,
                    null,
                    form);
            Int8GemmReference.gemm(
                    m,
                    n,
                    k,
                    a,
                    0,
                    true,
                    0,
                    b,
                    0,
                    MemorySegment.NULL,
                    0,
                    want,
                    0,
                    MemorySegment.NULL,
                    0,
                    false,
                    1f,
                    MemorySegment.NULL,
                    0);
            assertEquals(255 * -128 * k, want.get(I32, 0));
            assertEquals(-1L, want.mismatch(got), "int32 sums differ");
        }
    }

    @ParameterizedTest
    @MethodSource("forms")
    void repackFromOtherPanelWidthsGivesThisCpusPanels(String name) {
        Int8GemmVnni form = form(name);
        Random rnd = new Random(3);
        int k = 37;
        int n = 70;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = random(arena, rnd, (long) k * n);
            MemorySegment want = arena.allocate(Int8Gemm.packedBytes(k, n, form));
            Int8Gemm.packB(b, 0, k, n, want, 0, form);
            for (int w : new int[] {8, 16, 32, 64}) {
                int panels = (n + w - 1) / w;
                MemorySegment src = arena.allocate((long) panels * k * w);
                for (int kk = 0; kk < k; kk++) {
                    for (int j = 0; j < n; j++) {
                        src.set(
                                ValueLayout.JAVA_BYTE,
                                ((long) (j / w) * k + kk) * w + j % w,
                                b.get(ValueLayout.JAVA_BYTE, (long) kk * n + j));
                    }
                }
                MemorySegment got = arena.allocate(Int8Gemm.packedBytes(k, n, form));
                Int8Gemm.repack(src, 0, k, n, w, got, 0, form);
                assertEquals(-1L, want.mismatch(got), "repack from panel" + w);
            }
        }
    }

    /** {@code heapA}: A in a Java array, which the VNNI form must copy to native memory first. */
    private static void check(
            Random rnd,
            int m,
            int n,
            int k,
            int flags,
            Parallelism par,
            int aPad,
            int yPad,
            Int8GemmVnni form,
            boolean heapA) {
        boolean unsigned = (flags & 1) != 0;
        boolean offsets = (flags & 2) != 0;
        boolean toFloat = (flags & 4) != 0;
        boolean perColumn = (flags & 8) != 0;
        boolean bias = toFloat && (flags & 2) == 0;
        int zp = unsigned ? rnd.nextInt(256) : rnd.nextInt(256) - 128;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, rnd, aPad + (long) m * k);
            if (heapA) {
                a = MemorySegment.ofArray(a.toArray(ValueLayout.JAVA_BYTE));
            }
            MemorySegment b = random(arena, rnd, (long) k * n);
            MemorySegment packed = arena.allocate(1 + Int8Gemm.packedBytes(k, n, form));
            Int8Gemm.packB(b, 0, k, n, packed, 1, form);
            MemorySegment off = MemorySegment.NULL;
            if (offsets) {
                off = arena.allocate(8 + 4L * n);
                for (int j = 0; j < n; j++) {
                    off.set(I32, 8 + 4L * j, rnd.nextInt(256) - 128);
                }
            }
            MemorySegment scale = MemorySegment.NULL;
            MemorySegment bs = MemorySegment.NULL;
            if (toFloat) {
                scale = arena.allocate(4 + 4L * n);
                bs = arena.allocate(4 + 4L * n);
                for (int j = 0; j <= n; j++) {
                    scale.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * j, rnd.nextFloat() * 1e-3f);
                    bs.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * j, rnd.nextFloat() - 0.5f);
                }
            }
            MemorySegment biasSeg = bias ? bs : MemorySegment.NULL;
            // The activations' dynamic scale as a second factor, or 1 (a single scale input).
            float factor = (flags & 1) != 0 ? 1f : 0.01f + rnd.nextFloat() * 0.05f;
            long yOff = 4L * yPad;
            MemorySegment got = arena.allocate(yOff + 4L * m * n);
            MemorySegment want = arena.allocate(yOff + 4L * m * n);
            got.fill((byte) 0x55);
            want.fill((byte) 0x55);
            Int8Gemm.gemm(
                    m, n, k, a, aPad, unsigned, zp, packed, 1, off, 8, got, yOff, scale, 4, perColumn, factor, biasSeg,
                    4, par, form);
            Int8GemmReference.gemm(
                    m, n, k, a, aPad, unsigned, zp, b, 0, off, 8, want, yOff, scale, 4, perColumn, factor, biasSeg, 4);
            assertEquals(
                    -1L,
                    want.mismatch(got),
                    "m=" + m + " n=" + n + " k=" + k + " flags=" + flags + " threads="
                            + (par == null ? 1 : par.threads()) + " heapA=" + heapA);
        }
    }

    private static MemorySegment random(Arena arena, Random rnd, long bytes) {
        MemorySegment s = arena.allocate(Math.max(1, bytes));
        for (long i = 0; i < bytes; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        }
        return s;
    }
}
