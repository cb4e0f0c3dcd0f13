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
 *       score is {@code fma} over them from zero, its lanes summed by {@link LaneTree}'s
 *       rotate-and-add tree (the Java dot's order), times the scale.
 *   <li><b>Values</b>: the four heads' f16 output vectors stay in registers as floats; per position,
 *       where the caller flags that some head's running max grew, each head's vectors are scaled by
 *       its {@code exp(M_old - M)} (1 for a head whose max did not grow: exact, the vectors already
 *       being halves) and rounded to f16 ({@code ggml_vec_scale_f16}); then the widened V row is
 *       added with the head's weight, fused, and rounded to f16 ({@code ggml_vec_mad_f16}). Rounding
 *       is {@code vcvtps2ph} with round-to-nearest-even and back, elementwise, as {@code
 *       Float.floatToFloat16} then {@code float16ToFloat}.
 * </ul>
 *
 * <p>The softmax's running max, weights and {@code exp} stay in Java between the two kernels
 * ({@code llm/F16FlashTiles}), so {@code exp} is the same function as the scalar path's.
 *
 * <p>Rows are found through a table of longs, one per position: the byte offset of the position's
 * K row from {@link #K} (and of its V row from {@link #V}), so a paged cache's blocks need no
 * separate calls. Scores parameter block (longs): {@link #Q}, {@link #K}, {@link #ROWS}, {@link
 * #SCORES}, {@link #LEN_BYTES} (bytes between two heads' score rows), {@link #COUNT} (positions, at
 * least one), {@link #SCALE} (the float's bits), {@link #CONSTANTS}. Values parameter block: {@link
 * #SUMS}, {@link #V}, {@link #ROWS}, {@link #WEIGHTS} (one {@link #RECORD}-byte record per
 * position: four weights, four scales, a nonzero flag where a scale applies), {@link #COUNT}.
 * System V, one argument (the block in rdi).
 */
public final class F16FlashKernels {
    /** Parameter block slots. */
    public static final int Q = 0, K = 1, ROWS = 2, SCORES = 3, LEN_BYTES = 4, COUNT = 5, SCALE = 6, CONSTANTS = 7;
    /** The values kernel's names for shared slots. */
    public static final int SUMS = Q, V = K, WEIGHTS = SCORES;
    /** Longs in a parameter block. */
    public static final int PARAMS = 8;

    /** Halves per head, and heads per pass. */
    public static final int HEAD = 64, HEADS = 4;

    /** Bytes of one position's weights record: weights at 0, scales at 16, the flag (a long) at 32. */
    public static final int RECORD = 48;
    /** Byte offsets in a weights record. */
    public static final int WEIGHT_AT = 0, SCALE_AT = 16, FLAG_AT = 32;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /** Scores registers: sums 0-3, the lane tree's scratch 4, the K row 5-8, the scale, the rotations, queries 16-31. */
    private static final int TREE_TMP = 4, ROW = 5, SCALE_REG = 10, ROTATE_BASE = 12, HELD = 16;

    private final MethodHandle scores;
    private final MethodHandle values;
    private final MemorySegment constants;

    private F16FlashKernels() {
        constants = Arena.global().allocate(LaneTree.BYTES, 64);
        LaneTree.writeRotations(constants, 0);
        scores = ExecutableMemory.link(scoresCode(), SIGNATURE);
        values = ExecutableMemory.link(valuesCode(), SIGNATURE);
    }

    /** The kernels when this CPU has AVX-512 (whose CPUs all convert halves) and native kernels are on, else {@code null}. */
    public static F16FlashKernels loadIfSupported() {
        return CpuFeatures.avx512() ? CpuFeatures.loadOrNull("f16 flash attention", F16FlashKernels::new) : null;
    }

    /** The address of the rotation constants, for {@link #CONSTANTS}. */
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

    /** rsi K base, r11 row table, r8 this row, rdx scores (head 0), r9 head distance, r10 3 · r9, rcx positions. */
    static byte[] scoresCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        x.movLoad(RAX, param(Q));
        x.movLoad(RSI, param(K));
        x.movLoad(R11, param(ROWS));
        x.movLoad(RDX, param(SCORES));
        x.movLoad(R9, param(LEN_BYTES));
        x.movLoad(RCX, param(COUNT));
        x.vbroadcastss(SCALE_REG, param(SCALE));
        x.movLoad(R10, param(CONSTANTS));
        LaneTree.loadRotations(x, ROTATE_BASE, Mem.at(R10, 0));
        x.lea(R10, Mem.at(R9, R9, 2));
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
        for (int h = 0; h < HEADS; h++) {
            LaneTree.sum(x, h, TREE_TMP, ROTATE_BASE);
            x.vmulss(h, h, SCALE_REG);
        }
        x.vmovssStore(Mem.at(RDX, 0), 0);
        x.vmovssStore(new Mem(RDX, R9, 1, 0), 1);
        x.vmovssStore(new Mem(RDX, R9, 2, 0), 2);
        x.vmovssStore(new Mem(RDX, R10, 1, 0), 3);
        x.add(R11, 8);
        x.add(RDX, 4);
        x.dec(RCX);
        x.jnz(loop);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** rax sums, rsi V base, r11 row table, r8 this row, rdx weights record, r9 its flag, rcx positions. */
    static byte[] valuesCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        int mad = x.newLabel();
        x.movLoad(RAX, param(SUMS));
        x.movLoad(RSI, param(V));
        x.movLoad(R11, param(ROWS));
        x.movLoad(RDX, param(WEIGHTS));
        x.movLoad(RCX, param(COUNT));
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vmovupsLoad(held(h, i), Mem.at(RAX, 256 * h + 64 * i));
            }
        }
        x.bind(loop);
        x.movLoad(R9, Mem.at(RDX, FLAG_AT));
        x.test(R9);
        x.jz(mad);
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vmulpsBroadcast(held(h, i), held(h, i), Mem.at(RDX, SCALE_AT + 4 * h));
                roundToHalf(x, held(h, i), 4 + i);
            }
        }
        x.bind(mad);
        x.movLoad(R8, Mem.at(R11, 0));
        for (int i = 0; i < 4; i++) {
            x.vcvtph2ps(i, new Mem(RSI, R8, 1, 32 * i));
        }
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vfmadd231psBroadcast(held(h, i), i, Mem.at(RDX, WEIGHT_AT + 4 * h));
                roundToHalf(x, held(h, i), 4 + 4 * (h & 1) + i);
            }
        }
        x.add(R11, 8);
        x.add(RDX, RECORD);
        x.dec(RCX);
        x.jnz(loop);
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vmovdqu32Store(Mem.at(RAX, 256 * h + 64 * i), held(h, i));
            }
        }
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
