package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RAX;
import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code f16_flash_scores_4x64__avx512} and {@code f16_flash_values_4x64__avx512}: llama.cpp's CPU
 * flash attention over an f16 KV cache (the {@code --numerics llama-cpp} decode attention), four
 * heads of 64 per pass, with the scalar emulation's operations in its order, so its bits.
 *
 * <ul>
 *   <li><b>Scores</b>: the four heads' f16-rounded queries (sixteen vectors) stay in registers; per
 *       position the f16 K row is widened ({@code vcvtph2ps}, exact) into four vectors, each head's
 *       score is {@code fma} over them from zero, its lanes summed in {@link LaneTree}'s
 *       rotate-and-add order (the Java dot's; the four heads share the tree's shuffles, {@link
 *       LaneTree#sumFour}), times the scale. The four scores then take one
 *       step of the online softmax's comparisons in one xmm: where a score is above its head's
 *       running max {@code M} (ordered, so never for NaN) the head's max "grew", its exponent is
 *       {@code M - s} and {@code M} becomes {@code s}; elsewhere the exponent is {@code s - M}. The
 *       kernel writes per position the four exponents ({@link #ARGS}) and the four grew flags
 *       (1.0 or 0.0, {@link #GREW}); {@code M} starts at -inf, so the first position's exponent is
 *       -inf and its rescale {@code exp(-inf) = 0}, as the scalar path's special case gives.
 *   <li>Between the kernels the caller replaces every exponent by {@code (float) Math.exp} of it
 *       (Java: {@code llm/ExactFloatExp}), in place.
 *   <li><b>Values</b>: the four heads' f16 output vectors stay in registers as floats; per position
 *       each head's weight is 1 where its max grew, else its exp, and its rescale the exp where its
 *       max grew, else 1 (written back in place of the exps and flags, to be broadcast from there).
 *       Where some head's max grew, each head's vectors are scaled by its rescale (1 elsewhere:
 *       exact, the vectors already being halves) and rounded to f16 ({@code ggml_vec_scale_f16}),
 *       and the four running sums {@code S} (one xmm) are multiplied by the rescales; then the
 *       widened V row is added with the head's weight, fused, and rounded to f16 ({@code
 *       ggml_vec_mad_f16}), and the weights are added to {@code S} ({@code S · ms + vs} unfused, as
 *       Java computes it). Rounding is {@code vcvtps2ph} with round-to-nearest-even and back,
 *       elementwise, as {@code Float.floatToFloat16} then {@code float16ToFloat}. The sums go to
 *       {@link #TOTALS} at the end.
 * </ul>
 *
 * <p>Rows are found through a table of longs, one per position: the byte offset of the position's
 * K row from {@link #K} (and of its V row from {@link #V}), so a paged cache's blocks need no
 * separate calls. Scores parameter block (longs): {@link #Q}, {@link #K}, {@link #ROWS}, {@link
 * #ARGS} and {@link #GREW} (sixteen bytes per position each), {@link #COUNT} (positions, at least
 * one), {@link #SCALE} (the float's bits), {@link #CONSTANTS}. Values parameter block: {@link
 * #SUMS}, {@link #V}, {@link #ROWS}, {@link #ARGS} (the exps), {@link #GREW}, {@link #COUNT},
 * {@link #TOTALS} (four floats out), {@link #CONSTANTS}. System V, one argument (the block in rdi).
 */
public final class F16FlashKernels {
    /** Parameter block slots. */
    public static final int Q = 0, K = 1, ROWS = 2, ARGS = 3, GREW = 4, COUNT = 5, SCALE = 6, CONSTANTS = 7;
    /** The values kernel's names for shared slots. */
    public static final int SUMS = Q, V = K, TOTALS = SCALE;
    /** Longs in a parameter block. */
    public static final int PARAMS = 8;

    /** Halves per head, and heads per pass. */
    public static final int HEAD = 64, HEADS = 4;

    /** Bytes per position in {@link #ARGS} and in {@link #GREW}: one float per head. */
    public static final int STEP = 4 * HEADS;

    /** Constants: the lane tree's gather indices, -inf (the first max), 1 and 0.5 (the flags' threshold). */
    private static final int FOUR_AT = 0,
            MINUS_INF_AT = LaneTree.FOUR_BYTES,
            ONE_AT = LaneTree.FOUR_BYTES + 4,
            HALF_AT = LaneTree.FOUR_BYTES + 8;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /**
     * Scores registers: sums 0-3, the K row 5-8 (then the lane tree's scratch), the running max,
     * the scale, the constant 1, the lane tree's gather indices, queries 16-31.
     */
    private static final int ROW = 5, MAX = 9, SCALE_REG = 10, ONE = 11, FOUR_INDICES = 12, HELD = 16;

    /** Values registers besides the V row (0-3), the rounding scratch (4-11) and the outputs (16-31); 15 holds 1. */
    private static final int EXPS = 12, RESCALES = 13, TOTAL = 14, UNIT = 15;

    /** Opmask of the heads whose max grew at this position. */
    private static final int GREW_MASK = 1;

    private final MethodHandle scores;
    private final MethodHandle values;
    private final MemorySegment constants;

    private F16FlashKernels() {
        constants = Arena.global().allocate(LaneTree.FOUR_BYTES + 64, 64);
        LaneTree.writeFourIndices(constants, FOUR_AT);
        constants.set(ValueLayout.JAVA_FLOAT, MINUS_INF_AT, Float.NEGATIVE_INFINITY);
        constants.set(ValueLayout.JAVA_FLOAT, ONE_AT, 1f);
        constants.set(ValueLayout.JAVA_FLOAT, HALF_AT, 0.5f);
        scores = ExecutableMemory.link(scoresCode(), SIGNATURE);
        values = ExecutableMemory.link(valuesCode(), SIGNATURE);
    }

    /** The kernels when this CPU has AVX-512 (whose CPUs all convert halves) and native kernels are on, else {@code null}. */
    public static F16FlashKernels loadIfSupported() {
        return CpuFeatures.avx512() ? CpuFeatures.loadOrNull("f16 flash attention", F16FlashKernels::new) : null;
    }

    /** The address of the kernels' constants, for {@link #CONSTANTS}. */
    public long constants() {
        return constants.address();
    }

    /** Runs the scores kernel on the block at {@code params}; the caller guarantees every size. */
    public void scores(long params) {
        ExecutableMemory.call(scores, params);
    }

    /** Runs the values kernel on the block at {@code params}; the caller guarantees every size. */
    public void values(long params) {
        ExecutableMemory.call(values, params);
    }

    /** rsi K base, r11 row table, r8 this row, rdx exponents, r10 grew flags, rcx positions. */
    static byte[] scoresCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        x.movLoad(RAX, param(Q));
        x.movLoad(RSI, param(K));
        x.movLoad(R11, param(ROWS));
        x.movLoad(RDX, param(ARGS));
        x.movLoad(R10, param(GREW));
        x.movLoad(RCX, param(COUNT));
        x.vbroadcastss(SCALE_REG, param(SCALE));
        x.movLoad(R9, param(CONSTANTS));
        x.vmovupsLoad(FOUR_INDICES, Mem.at(R9, FOUR_AT));
        x.vbroadcastss(MAX, Mem.at(R9, MINUS_INF_AT));
        x.vbroadcastss(ONE, Mem.at(R9, ONE_AT));
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vmovupsLoad(held(h, i), Mem.at(RAX, 256 * h + 64 * i));
            }
        }
        x.bind(loop);
        x.movLoad(R8, Mem.at(R11, 0));
        for (int i = 0; i < 4; i++) {
            x.vcvtph2ps(ROW + i, new Mem(RSI, R8, 1, 32 * i));
        }
        for (int h = 0; h < HEADS; h++) {
            x.vpxord(h, h, h);
        }
        for (int i = 0; i < 4; i++) {
            for (int h = 0; h < HEADS; h++) {
                x.vfmadd231ps(h, held(h, i), ROW + i);
            }
        }
        LaneTree.sumFour(x, 0, ROW, ROW + 1, FOUR_INDICES); // the K row's registers are free again
        x.vmulps(0, 0, SCALE_REG);
        x.vcmpps(GREW_MASK, 0, MAX, Assembler.GT_OQ);
        x.vsubps(ROW, 0, MAX);
        x.vsubps(ROW + 1, MAX, 0);
        x.vblendmps(ROW, GREW_MASK, ROW, ROW + 1);
        x.vblendmps(MAX, GREW_MASK, MAX, 0);
        x.vmovupsStore128(Mem.at(RDX, 0), ROW);
        x.vpxord(ROW + 2, ROW + 2, ROW + 2);
        x.vblendmps(ROW + 2, GREW_MASK, ROW + 2, ONE);
        x.vmovupsStore128(Mem.at(R10, 0), ROW + 2);
        x.add(R11, 8);
        x.add(RDX, STEP);
        x.add(R10, STEP);
        x.dec(RCX);
        x.jnz(loop);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** rax sums, rsi V base, r11 row table, r8 this row, rdx exps (then weights), r10 grew flags (then rescales), rcx positions. */
    static byte[] valuesCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        int mad = x.newLabel();
        x.movLoad(RAX, param(SUMS));
        x.movLoad(RSI, param(V));
        x.movLoad(R11, param(ROWS));
        x.movLoad(RDX, param(ARGS));
        x.movLoad(R10, param(GREW));
        x.movLoad(RCX, param(COUNT));
        x.movLoad(R9, param(CONSTANTS));
        x.vbroadcastss(UNIT, Mem.at(R9, ONE_AT));
        x.vpxord(TOTAL, TOTAL, TOTAL);
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vmovupsLoad(held(h, i), Mem.at(RAX, 256 * h + 64 * i));
            }
        }
        x.bind(loop);
        x.vmovupsLoad128(EXPS, Mem.at(RDX, 0));
        x.vmovupsLoad128(RESCALES, Mem.at(R10, 0));
        x.vcmppsBroadcast(GREW_MASK, RESCALES, Mem.at(R9, HALF_AT), Assembler.GT_OQ);
        x.vblendmps(RESCALES, GREW_MASK, UNIT, EXPS);
        x.vblendmps(EXPS, GREW_MASK, EXPS, UNIT);
        x.vmovupsStore128(Mem.at(RDX, 0), EXPS);
        x.vmovupsStore128(Mem.at(R10, 0), RESCALES);
        x.kortestw(GREW_MASK, GREW_MASK);
        x.jz(mad);
        x.vmulps(TOTAL, TOTAL, RESCALES);
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vmulpsBroadcast(held(h, i), held(h, i), Mem.at(R10, 4 * h));
                roundToHalf(x, held(h, i), 4 + i);
            }
        }
        x.bind(mad);
        x.vaddps(TOTAL, TOTAL, EXPS);
        x.movLoad(R8, Mem.at(R11, 0));
        for (int i = 0; i < 4; i++) {
            x.vcvtph2ps(i, new Mem(RSI, R8, 1, 32 * i));
        }
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vfmadd231psBroadcast(held(h, i), i, Mem.at(RDX, 4 * h));
                roundToHalf(x, held(h, i), 4 + 4 * (h & 1) + i);
            }
        }
        x.add(R11, 8);
        x.add(RDX, STEP);
        x.add(R10, STEP);
        x.dec(RCX);
        x.jnz(loop);
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vmovdqu32Store(Mem.at(RAX, 256 * h + 64 * i), held(h, i));
            }
        }
        x.movLoad(R9, param(TOTALS));
        x.vmovupsStore128(Mem.at(R9, 0), TOTAL);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** {@code v} rounded to f16 and widened back, through {@code tmp}'s low half. */
    private static void roundToHalf(Assembler x, int v, int tmp) {
        x.vcvtps2ph(tmp, v);
        x.vcvtph2ps(v, tmp);
    }

    private static int held(int head, int vector) {
        return HELD + 4 * head + vector;
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
