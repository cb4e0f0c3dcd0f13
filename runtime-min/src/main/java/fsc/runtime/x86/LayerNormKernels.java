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
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code f32_layer_norm_rows__avx512}: {@code FloatMath.layerNorm} over rows in machine code, with
 * the Java kernel's operations in its order at sixteen lanes, so the same bits: the row's sum in one
 * vector of lane accumulators folded by {@link LaneTree}, then the tail added one by one; the mean
 * {@code sum / n}; the squared deviations fused into a second accumulator, folded the same way;
 * {@code (float) (1.0 / Math.sqrt(sq / n + eps))} in the scalar unit (float divide and add, then the
 * square root and reciprocal in double, rounded once to float); each output {@code ((x - mean) ·
 * rstd) · gamma (+ beta)}, multiplies and add kept apart, as Java rounds them.
 *
 * <p>Why machine code: a fresh JVM runs its first rows of the Java kernel in the interpreter (the
 * embeddings' layer norm of a first MiniLM call took 3.5-4 ms, ~0.03 ms warm; docs/EDGE.md §2), and
 * the warm kernel copies every row into an array and back because segment reads keep liveness
 * checks in the loop; this one reads and writes the rows where they are.
 *
 * <p>Parameter block (longs): {@link #X}, {@link #OUT} (may equal X), {@link #ROWS} (at least
 * one), {@link #X_ROW} and {@link #OUT_ROW} (bytes between rows), {@link #BLOCKS} (whole vectors
 * per row), {@link #TAIL} (floats after them), {@link #GAMMA}, {@link #BETA}, {@link #N} (n as a
 * float's bits), {@link #EPS} (the float's bits), {@link #ONE} (1.0 as a double's bits), {@link
 * #CONSTANTS} (the lane tree's rotations). System V, one argument (the block in rdi).
 */
public final class LayerNormKernels {
    /** Parameter block slots. */
    public static final int X = 0,
            OUT = 1,
            ROWS = 2,
            X_ROW = 3,
            OUT_ROW = 4,
            BLOCKS = 5,
            TAIL = 6,
            GAMMA = 7,
            BETA = 8,
            N = 9,
            EPS = 10,
            ONE = 11,
            CONSTANTS = 12;
    /** Longs in a parameter block. */
    public static final int PARAMS = 13;

    /** Vector registers: accumulators and operands, then the lane tree's four rotations. */
    private static final int SUM = 0, TMP = 1, MEAN = 2, SQ = 3, WORK = 4, RSTD = 5, N_REG = 6, EPS_REG = 7;

    private static final int ONE_REG = 8, ROTATIONS = 12;

    private final MethodHandle withBeta;
    private final MethodHandle noBeta;
    private final MemorySegment constants;

    private LayerNormKernels() {
        constants = Arena.global().allocate(LaneTree.BYTES, 64);
        LaneTree.writeRotations(constants, 0);
        withBeta = ExecutableMemory.link(code(true), ExecutableMemory.KERNEL);
        noBeta = ExecutableMemory.link(code(false), ExecutableMemory.KERNEL);
    }

    /** The kernels when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static LayerNormKernels loadIfSupported() {
        return Shared.KERNELS;
    }

    private static final class Shared {
        static final LayerNormKernels KERNELS =
                CpuFeatures.avx512() ? CpuFeatures.loadOrNull("layer norm", LayerNormKernels::new) : null;
    }

    /** The address of the lane tree's rotations, for {@link #CONSTANTS}. */
    public long constants() {
        return constants.address();
    }

    /** Runs the rows the block at {@code params} describes; the caller guarantees every size. */
    public void run(boolean beta, long params) {
        ExecutableMemory.call(beta ? withBeta : noBeta, params);
    }

    /**
     * The machine code. General registers: r8 and r9 the row of X and of OUT, r10 rows left, rsi
     * and rdx the element of X and OUT a loop is at, rax gamma's, r11 beta's, rcx the loop count.
     */
    static byte[] code(boolean beta) {
        Assembler x = new Assembler();
        x.movLoad(R8, param(X));
        x.movLoad(R9, param(OUT));
        x.movLoad(R10, param(ROWS));
        x.movLoad(RAX, param(CONSTANTS));
        LaneTree.loadRotations(x, ROTATIONS, Mem.at(RAX, 0));
        x.vmovssLoad(N_REG, param(N));
        x.vmovssLoad(EPS_REG, param(EPS));
        x.vmovsdLoad(ONE_REG, param(ONE));
        int row = x.newLabel();
        x.bind(row);

        // The mean: lane sums, the tree, the tail, / n.
        x.vpxord(SUM, SUM, SUM);
        x.mov(RSI, R8);
        int[] l1 = loopBegin(x, BLOCKS);
        x.vaddps(SUM, SUM, Mem.at(RSI, 0));
        x.add(RSI, 64);
        loopEnd(x, l1);
        LaneTree.sum(x, SUM, TMP, ROTATIONS);
        int[] l2 = loopBegin(x, TAIL);
        x.vaddss(SUM, SUM, Mem.at(RSI, 0));
        x.add(RSI, 4);
        loopEnd(x, l2);
        x.vdivss(SUM, SUM, N_REG);
        x.vbroadcastss(MEAN, SUM);

        // The squared deviations, fused, the same way; then the reciprocal deviation.
        x.vpxord(SQ, SQ, SQ);
        x.mov(RSI, R8);
        int[] l3 = loopBegin(x, BLOCKS);
        x.vmovupsLoad(WORK, Mem.at(RSI, 0));
        x.vsubps(WORK, WORK, MEAN);
        x.vfmadd231ps(SQ, WORK, WORK);
        x.add(RSI, 64);
        loopEnd(x, l3);
        LaneTree.sum(x, SQ, TMP, ROTATIONS);
        int[] l4 = loopBegin(x, TAIL);
        x.vmovssLoad(WORK, Mem.at(RSI, 0));
        x.vsubss(WORK, WORK, MEAN);
        x.vfmadd231ss(SQ, WORK, WORK);
        x.add(RSI, 4);
        loopEnd(x, l4);
        x.vdivss(SQ, SQ, N_REG);
        x.vaddss(SQ, SQ, EPS_REG);
        x.vcvtss2sd(SQ, SQ, SQ);
        x.vsqrtsd(SQ, SQ, SQ);
        x.vdivsd(SQ, ONE_REG, SQ);
        x.vcvtsd2ss(SQ, SQ, SQ);
        x.vbroadcastss(RSTD, SQ);

        // The outputs.
        x.mov(RSI, R8);
        x.mov(RDX, R9);
        x.movLoad(RAX, param(GAMMA));
        if (beta) {
            x.movLoad(R11, param(BETA));
        }
        int[] l5 = loopBegin(x, BLOCKS);
        x.vmovupsLoad(WORK, Mem.at(RSI, 0));
        x.vsubps(WORK, WORK, MEAN);
        x.vmulps(WORK, WORK, RSTD);
        x.vmulps(WORK, WORK, Mem.at(RAX, 0));
        if (beta) {
            x.vaddps(WORK, WORK, Mem.at(R11, 0));
        }
        x.vmovdqu32Store(Mem.at(RDX, 0), WORK);
        advance(x, beta, 64);
        loopEnd(x, l5);
        int[] l6 = loopBegin(x, TAIL);
        x.vmovssLoad(WORK, Mem.at(RSI, 0));
        x.vsubss(WORK, WORK, MEAN);
        x.vmulss(WORK, WORK, RSTD);
        x.vmulss(WORK, WORK, Mem.at(RAX, 0));
        if (beta) {
            x.vaddss(WORK, WORK, Mem.at(R11, 0));
        }
        x.vmovssStore(Mem.at(RDX, 0), WORK);
        advance(x, beta, 4);
        loopEnd(x, l6);

        x.movLoad(RCX, param(X_ROW));
        x.addReg(R8, RCX);
        x.movLoad(RCX, param(OUT_ROW));
        x.addReg(R9, RCX);
        x.dec(R10);
        x.jnz(row);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** The pointers of the output loop, one step of {@code bytes}. */
    private static void advance(Assembler x, boolean beta, int bytes) {
        x.add(RSI, bytes);
        x.add(RDX, bytes);
        x.add(RAX, bytes);
        if (beta) {
            x.add(R11, bytes);
        }
    }

    /**
     * Opens a loop that runs the parameter {@code count} times (not at all when it is 0), counting
     * in rcx; the body follows, then {@link #loopEnd}. Labels, not a lambda per body: every lambda
     * site spins a class the first time it runs, and this code is assembled in a fresh process.
     */
    private static int[] loopBegin(Assembler x, int count) {
        int[] labels = {x.newLabel(), x.newLabel()};
        x.movLoad(RCX, param(count));
        x.test(RCX);
        x.jz(labels[1]);
        x.bind(labels[0]);
        return labels;
    }

    private static void loopEnd(Assembler x, int[] labels) {
        x.dec(RCX);
        x.jnz(labels[0]);
        x.bind(labels[1]);
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
