package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
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
 * {@code attn_scores_4x64__avx512} and {@code attn_values_4x64__avx512}: the decoder attention's
 * four-heads-per-pass kernels ({@code AttentionTiles}) for heads of 64 floats, in machine code with
 * the same operations in the same order, so the same bits.
 *
 * <ul>
 *   <li><b>Scores</b>: the sixteen query vectors of four heads stay in registers; per position the K
 *       row's four vectors are read once (as FMA memory operands) for the four heads, each head's
 *       score is {@code fma} over the four vectors from zero, the lanes summed by the rotate-and-add
 *       tree of {@code Lanes}, times the scale, stored at the head's row of the scores.
 *   <li><b>Values</b>: the sixteen output vectors of four heads stay in registers; per position the V
 *       row's four vectors are loaded once and each head adds {@code v · score} (the score broadcast
 *       from memory), positions in ascending order.
 * </ul>
 *
 * <p>Why machine code: C2 keeps the KV cache segment's liveness check inside these loops (a profile
 * of a long prompt spent 93% of the value kernel's samples in {@code checkValidStateRaw}); here the
 * loops read raw addresses.
 *
 * <p>Scores parameter block (longs): {@link #Q}, {@link #K}, {@link #ROW_STRIDE}, {@link #SCORES},
 * {@link #LEN_BYTES} (bytes between two heads' score rows), {@link #COUNT} (positions, at least
 * one), {@link #SCALE} (the float's bits), {@link #CONSTANTS}. Values parameter block: {@link
 * #SCORES}, {@link #LEN_BYTES}, {@link #V} (in the {@link #K} slot), {@link #ROW_STRIDE}, {@link
 * #SUMS} (in the {@link #Q} slot), {@link #COUNT}. System V, one argument (the block in rdi).
 */
public final class AttentionKernels {
    /** Parameter block slots. */
    public static final int Q = 0,
            K = 1,
            ROW_STRIDE = 2,
            SCORES = 3,
            LEN_BYTES = 4,
            COUNT = 5,
            SCALE = 6,
            CONSTANTS = 7;
    /** The values kernel's names for the shared slots. */
    public static final int SUMS = Q, V = K;
    /** Longs in a parameter block. */
    public static final int PARAMS = 8;

    /** Floats per head, and heads per pass. */
    public static final int HEAD = 64, HEADS = 4;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /** Registers: the four rotations of the lane tree (by 8, 4, 2, 1), the scale, the 16 held vectors. */
    private static final int ROTATE_BASE = 12, SCALE_REG = 10, HELD = 16;

    private final MethodHandle scores;
    private final MethodHandle values;
    private final MemorySegment constants;

    private AttentionKernels() {
        constants = Arena.global().allocate(LaneTree.BYTES, 64);
        LaneTree.writeRotations(constants, 0);
        scores = ExecutableMemory.link(scoresCode(), SIGNATURE);
        values = ExecutableMemory.link(valuesCode(), SIGNATURE);
    }

    /** The kernels when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static AttentionKernels loadIfSupported() {
        return CpuFeatures.avx512() ? CpuFeatures.loadOrNull("attention", AttentionKernels::new) : null;
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

    /** rsi K row, r8 row stride, rdx scores (head 0), r9 head distance, r10 3 · r9, rcx positions. */
    static byte[] scoresCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        x.movLoad(RAX, param(Q));
        x.movLoad(RSI, param(K));
        x.movLoad(R8, param(ROW_STRIDE));
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
        for (int h = 0; h < HEADS; h++) {
            x.vpxord(h, h, h);
        }
        for (int i = 0; i < 4; i++) {
            for (int h = 0; h < HEADS; h++) {
                x.vfmadd231ps(h, held(h, i), Mem.at(RSI, 64 * i));
            }
        }
        for (int h = 0; h < HEADS; h++) {
            LaneTree.sum(x, h, 4 + h, ROTATE_BASE);
            x.vmulss(h, h, SCALE_REG);
        }
        x.vmovssStore(Mem.at(RDX, 0), 0);
        x.vmovssStore(new Mem(RDX, R9, 1, 0), 1);
        x.vmovssStore(new Mem(RDX, R9, 2, 0), 2);
        x.vmovssStore(new Mem(RDX, R10, 1, 0), 3);
        x.addReg(RSI, R8);
        x.add(RDX, 4);
        x.dec(RCX);
        x.jnz(loop);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** rsi V row, r8 row stride, rdx scores (head 0), r9 head distance, r10 3 · r9, rcx positions, rax sums. */
    static byte[] valuesCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        x.movLoad(RAX, param(SUMS));
        x.movLoad(RSI, param(V));
        x.movLoad(R8, param(ROW_STRIDE));
        x.movLoad(RDX, param(SCORES));
        x.movLoad(R9, param(LEN_BYTES));
        x.movLoad(RCX, param(COUNT));
        x.lea(R10, Mem.at(R9, R9, 2));
        for (int h = 0; h < HEADS; h++) {
            for (int i = 0; i < 4; i++) {
                x.vmovupsLoad(held(h, i), Mem.at(RAX, 256 * h + 64 * i));
            }
        }
        x.bind(loop);
        for (int i = 0; i < 4; i++) {
            x.vmovupsLoad(i, Mem.at(RSI, 64 * i));
        }
        for (int h = 0; h < HEADS; h++) {
            Mem score =
                    switch (h) {
                        case 0 -> Mem.at(RDX, 0);
                        case 1 -> new Mem(RDX, R9, 1, 0);
                        case 2 -> new Mem(RDX, R9, 2, 0);
                        default -> new Mem(RDX, R10, 1, 0);
                    };
            for (int i = 0; i < 4; i++) {
                x.vfmadd231psBroadcast(held(h, i), i, score);
            }
        }
        x.addReg(RSI, R8);
        x.add(RDX, 4);
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

    private static int held(int head, int vector) {
        return HELD + 4 * head + vector;
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
