package fsc.runtime.quant;

import fsc.runtime.x86.Q8KGemmKernels;
import fsc.runtime.x86.Q8KUnpackKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The prefill GEMM of llama.cpp's numerics for Q4_K and Q6_K weights: panels of {@value
 * Q8KGemmKernels#ROWS} weight rows times every token of a prompt quantized to {@link Q8K}, in
 * machine code ({@link Q8KGemmKernels}); each (row, token) result is {@link Q8KDotReference}'s bits,
 * the same as the decode matvec's ({@link Q8KMatVec}).
 *
 * <p>A panel is unpacked once per call into the kernels' layout: the quants as unsigned bytes, four
 * of one row's consecutive values per int32 lane, {@code [k/4][16 rows][4]}; the sub-block scales
 * (and Q4_K's mins) as integers per row; {@code d} (and {@code dmin}) as floats per row. A whole
 * panel is unpacked in machine code ({@link Q8KUnpackKernels}: about 0.2 vector instructions per
 * weight; the Java loops here, over a cycle per weight, took 40% of the GEMM's time at 128 tokens),
 * a partial one by the Java loops, which are the kernels' reference. The GEMM kernel then reads the
 * panel from cache for every run of up to {@value Q8KGemmKernels#MAX_TOKENS} tokens. The activation
 * is laid out once per matmul ({@link Q8KGemmActivations}).
 *
 * <p>Rows of different panels are independent, so callers split panels between threads; a thread
 * keeps its panel and parameter block in a {@link Scratch}, and a steady-state call allocates
 * nothing.
 */
public final class Q8KPanelGemm {
    /** The machine-code kernels, or {@code null} where they cannot run (then callers take another path). */
    static final Q8KGemmKernels NATIVE = Q8KGemmKernels.loadIfSupported();

    /** The machine-code unpacking of whole panels, or {@code null} (then the Java loops below unpack). */
    static final Q8KUnpackKernels UNPACK = NATIVE == null ? null : Q8KUnpackKernels.loadIfSupported();

    /** Weight rows per panel. */
    public static final int ROWS = Q8KGemmKernels.ROWS;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int LOW_NIBBLES = 0x0F0F0F0F, TWO_BITS = 0x03030303;

    private Q8KPanelGemm() {}

    /** Whether {@link #panel} runs for {@code type} with these segments (else the caller takes another path). */
    public static boolean nativeFor(GgmlType type, MemorySegment w, MemorySegment y) {
        return NATIVE != null && (type == GgmlType.Q4_K || type == GgmlType.Q6_K) && w.isNative() && y.isNative();
    }

    /** One thread's unpacked panel, its output rows for a partial panel, and its parameter block. */
    public static final class Scratch {
        private MemorySegment panel = MemorySegment.NULL;
        private MemorySegment out = MemorySegment.NULL;
        private final MemorySegment params = Arena.ofAuto().allocate(8L * Q8KGemmKernels.PARAMS, 64);
        private final MemorySegment unpackParams = Arena.ofAuto().allocate(8L * Q8KUnpackKernels.PARAMS, 64);
    }

    /**
     * {@code y[t, j] = dot(w row j, token t)} for the weight rows {@code row0 .. min(row0 + 16, n)} of
     * a {@code type} matrix of {@code n} rows (GGUF layout from byte 0 of {@code w}) and every token of
     * {@code x}; {@code y} holds {@code x.rows()} rows of {@code n} floats from byte {@code yOffset}.
     * Needs {@link #nativeFor}.
     */
    public static void panel(
            GgmlType type,
            MemorySegment w,
            Q8KGemmActivations x,
            Scratch s,
            int row0,
            int n,
            MemorySegment y,
            long yOffset) {
        if (!nativeFor(type, w, y)) {
            throw new IllegalStateException(
                    "Q8KPanelGemm needs its kernels, native segments and Q4_K/Q6_K, not " + type);
        }
        int blocks = x.blocks;
        int tokens = x.rows;
        int k = blocks * Q8K.BLOCK;
        long rowBytes = type.bytesFor(k);
        int count = Math.min(ROWS, n - row0);
        Objects.checkIndex(row0, n);
        Objects.checkFromToIndex(0, (long) n * rowBytes, w.byteSize());
        Objects.checkFromToIndex(yOffset, yOffset + 4L * tokens * n, y.byteSize());
        if (tokens == 0) {
            return;
        }
        int kind = type == GgmlType.Q4_K ? Q8KGemmKernels.Q4_K : Q8KGemmKernels.Q6_K;
        long panelBytes = (long) blocks * Q8KGemmKernels.panelBlock(kind);
        if (s.panel.byteSize() < panelBytes) {
            s.panel = Arena.ofAuto().allocate(panelBytes, 64);
        }
        MemorySegment p = s.panel;
        unpack(kind, w, rowBytes, row0, count, blocks, p, s, true);
        long yAt;
        long yStep;
        if (count == ROWS) {
            yAt = y.address() + yOffset + 4L * row0;
            yStep = 4L * n;
        } else {
            long outBytes = 4L * ROWS * tokens;
            if (s.out.byteSize() < outBytes) {
                s.out = Arena.ofAuto().allocate(outBytes, 64);
            }
            yAt = s.out.address();
            yStep = 4L * ROWS;
        }
        multiply(kind, p, x, s, yAt, yStep, Q8KGemmKernels.MAX_TOKENS);
        if (count < ROWS) {
            for (int t = 0; t < tokens; t++) {
                MemorySegment.copy(s.out, 4L * ROWS * t, y, yOffset + 4L * ((long) t * n + row0), 4L * count);
            }
        }
    }

    /**
     * The unpacked panel {@code p} of {@code kind} times every token of {@code x}, 16 floats per token
     * from address {@code yAt}, {@code yStep} bytes apart: runs of {@code run} tokens (at most {@link
     * Q8KGemmKernels#MAX_TOKENS}; fewer only to measure), then one run of the rest.
     */
    static void multiply(int kind, MemorySegment p, Q8KGemmActivations x, Scratch s, long yAt, long yStep, int run) {
        int tokens = x.rows;
        MemorySegment params = s.params;
        params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.W, p.address());
        params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.X_STEP, (long) tokens * Q8KGemmKernels.X_BLOCK);
        params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.BLOCKS, x.blocks);
        params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.Y_STEP, yStep);
        int full = tokens / run;
        int rest = tokens % run;
        if (full > 0) {
            params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.X, x.mem.address());
            params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.Y, yAt);
            params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.TOKEN_BLOCKS, full);
            NATIVE.run(kind, run, params.address());
        }
        if (rest > 0) {
            int t0 = full * run;
            params.setAtIndex(
                    ValueLayout.JAVA_LONG, Q8KGemmKernels.X, x.mem.address() + (long) t0 * Q8KGemmKernels.X_BLOCK);
            params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.Y, yAt + t0 * yStep);
            params.setAtIndex(ValueLayout.JAVA_LONG, Q8KGemmKernels.TOKEN_BLOCKS, 1);
            NATIVE.run(kind, rest, params.address());
        }
    }

    /**
     * Weight rows {@code row0 .. row0 + count} (rows {@code rowBytes} apart in {@code w}) into panel
     * {@code p} of {@code kind}: a whole panel by {@link Q8KUnpackKernels} when {@code allowNative}
     * and they run, else (and for a partial panel, whose missing rows become zeros) by the Java loops,
     * which are the kernels' reference.
     */
    static void unpack(
            int kind,
            MemorySegment w,
            long rowBytes,
            int row0,
            int count,
            int blocks,
            MemorySegment p,
            Scratch s,
            boolean allowNative) {
        long panelBytes = (long) blocks * Q8KGemmKernels.panelBlock(kind);
        if (count == ROWS && allowNative && UNPACK != null && w.isNative() && p.isNative()) {
            Objects.checkFromToIndex(row0 * rowBytes, (row0 + ROWS) * rowBytes, w.byteSize());
            Objects.checkFromToIndex(0, panelBytes, p.byteSize());
            MemorySegment up = s.unpackParams;
            up.setAtIndex(ValueLayout.JAVA_LONG, Q8KUnpackKernels.W, w.address() + row0 * rowBytes);
            up.setAtIndex(ValueLayout.JAVA_LONG, Q8KUnpackKernels.ROW_BYTES, rowBytes);
            up.setAtIndex(ValueLayout.JAVA_LONG, Q8KUnpackKernels.BLOCKS, blocks);
            up.setAtIndex(ValueLayout.JAVA_LONG, Q8KUnpackKernels.PANEL, p.address());
            up.setAtIndex(ValueLayout.JAVA_LONG, Q8KUnpackKernels.CONSTS, UNPACK.constants());
            UNPACK.run(kind, up.address());
            return;
        }
        if (count < ROWS) {
            p.asSlice(0, panelBytes).fill((byte) 0); // rows past n: zero quants, scales and d give zeros
        }
        for (int r = 0; r < count; r++) {
            long at = (row0 + r) * rowBytes;
            if (kind == Q8KGemmKernels.Q4_K) {
                unpackQ4K(w, at, blocks, p, r);
            } else {
                unpackQ6K(w, at, blocks, p, r);
            }
        }
    }

    /**
     * block_q4_K (144 bytes: f16 d, f16 dmin, 12 bytes of six-bit scales and mins, 128 bytes of
     * nibbles: per 64 values, the first 32 in the low nibbles of 32 bytes and the next 32 in the high)
     * into lane {@code r} of the panel.
     */
    static void unpackQ4K(MemorySegment w, long at, int blocks, MemorySegment p, int r) {
        long lane = 4L * r;
        for (int b = 0; b < blocks; b++, at += 144) {
            long pb = (long) b * Q8KGemmKernels.Q4_BLOCK;
            for (int j = 0; j < 4; j++) {
                for (int m = 0; m < 8; m++) {
                    int v = w.get(I32, at + 16 + 32 * j + 4 * m);
                    // quad 16j + m holds values 64j + 4m..; quad 16j + 8 + m values 64j + 32 + 4m..
                    p.set(I32, pb + 64L * (16 * j + m) + lane, v & LOW_NIBBLES);
                    p.set(I32, pb + 64L * (16 * j + 8 + m) + lane, (v >>> 4) & LOW_NIBBLES);
                }
            }
            for (int sb = 0; sb < 8; sb++) {
                p.set(I32, pb + Q8KGemmKernels.SCALES + 64L * sb + lane, Dequantize.scaleK4(w, at + 4, sb));
            }
            for (int pair = 0; pair < 4; pair++) {
                int lo = Dequantize.minK4(w, at + 4, 2 * pair);
                int hi = Dequantize.minK4(w, at + 4, 2 * pair + 1);
                p.set(I32, pb + Q8KGemmKernels.Q4_MINS + 64L * pair + lane, lo | hi << 16);
            }
            p.set(F32, pb + Q8KGemmKernels.Q4_D + lane, Dequantize.f16(w, at));
            p.set(F32, pb + Q8KGemmKernels.Q4_DMIN + lane, Dequantize.f16(w, at + 2));
        }
    }

    /**
     * block_q6_K (210 bytes: 128 of low four bits, 64 of high two bits, 16 int8 scales, f16 d) into
     * lane {@code r}: half h of 128 values, ql[64h + l] holds values 128h + l (low nibble) and 128h +
     * 64 + l (high), ql[64h + 32 + l] values 128h + 32 + l and 128h + 96 + l, qh[32h + l] the high
     * bits of all four, two each. The quants stay 0..63 (the kernel subtracts 32 through the sums).
     */
    static void unpackQ6K(MemorySegment w, long at, int blocks, MemorySegment p, int r) {
        long lane = 4L * r;
        for (int b = 0; b < blocks; b++, at += 210) {
            long pb = (long) b * Q8KGemmKernels.Q6_BLOCK;
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += 4) {
                    int a = w.get(I32, at + 64 * h + l);
                    int c = w.get(I32, at + 64 * h + 32 + l);
                    int hb = w.get(I32, at + 128 + 32 * h + l);
                    long quad = 32 * h + l / 4; // values 128h + l .. + 3
                    p.set(I32, pb + 64L * quad + lane, (a & LOW_NIBBLES) | (hb & TWO_BITS) << 4);
                    p.set(I32, pb + 64L * (quad + 8) + lane, (c & LOW_NIBBLES) | (hb >>> 2 & TWO_BITS) << 4);
                    p.set(I32, pb + 64L * (quad + 16) + lane, (a >>> 4 & LOW_NIBBLES) | (hb >>> 4 & TWO_BITS) << 4);
                    p.set(I32, pb + 64L * (quad + 24) + lane, (c >>> 4 & LOW_NIBBLES) | (hb >>> 6 & TWO_BITS) << 4);
                }
            }
            for (int sb = 0; sb < 16; sb++) {
                p.set(I32, pb + Q8KGemmKernels.SCALES + 64L * sb + lane, Dequantize.i8(w, at + 192 + sb));
            }
            p.set(F32, pb + Q8KGemmKernels.Q6_D + lane, Dequantize.f16(w, at + 208));
        }
    }
}
