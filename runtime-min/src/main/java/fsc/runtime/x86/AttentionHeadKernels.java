package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R12;
import static fsc.runtime.x86.Assembler.R13;
import static fsc.runtime.x86.Assembler.R14;
import static fsc.runtime.x86.Assembler.R15;
import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RAX;
import static fsc.runtime.x86.Assembler.RBP;
import static fsc.runtime.x86.Assembler.RBX;
import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code f32_attention_head_8x32__avx512}: one head of {@code AttentionHeads}' blocked attention in
 * machine code, for the encoder case (an additive mask row shared by every query row, or none; no
 * causal limit, no softcap), with the Java kernels' operations in their order, so the same bits. Per
 * block of eight query rows:
 *
 * <ul>
 *   <li><b>Scores</b> ({@code AttentionMicroKernels.scores}): an 8 × 32 register tile per key panel,
 *       one {@code vfmadd231ps} per row and half-panel per step of d, in d order from zero; then
 *       {@code score · scale + mask} fused, stored, and each row's lane-wise running max updated by
 *       compare-and-blend.
 *   <li><b>Softmax</b> ({@code AttentionMicroKernels.expShiftedSum}): the row max by a max tree over
 *       its lanes; a row whose max is -∞ attends nothing (zeros, 1/Σ = 0); else {@code e^(s - max)}
 *       by the Java kernel's degree-5 exp, summed in lane accumulators folded by {@link LaneTree},
 *       the tail's exps (computed as one more vector, whose lanes past the row are padding) added one
 *       by one; {@code 1/Σ}.
 *   <li><b>Values</b> ({@code AttentionMicroKernels.values}): an 8 × 32 tile per value panel over
 *       the keys in order, times {@code 1/Σ}, stored to the block's output rows.
 * </ul>
 *
 * <p>The head's q, k and v are read where they are (rows a given number of bytes apart, so either
 * layout) and packed into the Java kernel's tiles first ({@code AttentionHeads.packRowBlocks},
 * {@code packKeyPanels}, {@code packValuePanels}); its output rows are written where they go last.
 * Padding query rows (past sq, zeros in q) are computed like real ones and never written out.
 *
 * <p>Why machine code: a fresh JVM runs its first heads in the interpreter and C1 (a MiniLM first call
 * spent ~12 ms of 30 in attention at 16 tokens and ~110 ms at 128; docs/EDGE.md §2).
 *
 * <p>Parameter block (longs): see the slot constants. System V, one argument (the block in rdi);
 * rbx, rbp and r12-r15 are saved.
 */
public final class AttentionHeadKernels {
    /** Parameter block slots: the packed tiles and scratch (addresses), then sizes (bytes or counts). */
    public static final int Q = 0,
            K = 1,
            V = 2,
            SC = 3,
            O = 4,
            MASK = 5,
            ROW_MAX = 6,
            INV = 7,
            D = 8,
            PANELS = 9,
            LD = 10,
            BLOCKS = 11,
            KEY_VECTORS = 12,
            KEY_TAIL = 13,
            KEYS = 14,
            V_PANELS = 15,
            LDO = 16,
            SCALE = 17,
            CONSTANTS = 18,
            TMP = 19,
            V_PANEL = 20,
            Q_BLOCK = 21,
            K_PANEL = 22,
            O_BLOCK = 23,
            ROWS = 24;
    /**
     * Slots of the head's operands where they are (addresses, bytes between rows) and of the packing:
     * {@link #PACK_KV} 0 when the previous head's k and v serve this one (grouped-query heads);
     * {@link #PANEL_WIDTH} holds {@link #NR} and {@link #ROWS} {@link #MR}, for the loop counters.
     */
    public static final int Q_SRC = 25,
            Q_ROW = 26,
            K_SRC = 27,
            K_ROW = 28,
            V_SRC = 29,
            V_ROW = 30,
            OUT = 31,
            OUT_ROW = 32,
            SQ = 33,
            DV = 34,
            PACK_KV = 35,
            PANEL_WIDTH = 36,
            Q_VECTORS = 37,
            K_VECTORS = 38,
            V_VECTORS = 39,
            Q_STEP = 40,
            K_STEP = 41,
            V_STEP = 42;
    /**
     * Slots of the head loop: {@link #HEADS} heads (at least one) of one sequence, each head's q and
     * output {@link #Q_HEAD} and {@link #OUT_HEAD} bytes after the previous one's; every {@link #GROUP}
     * heads the next k and v ({@link #K_HEAD}, {@link #V_HEAD} bytes on), the first change after
     * {@link #GROUP_LEFT} heads. {@link #ONE_SLOT} and {@link #ZERO_SLOT} hold 1 and 0. The kernel counts
     * and advances these slots as it goes.
     */
    public static final int HEADS = 43,
            Q_HEAD = 44,
            OUT_HEAD = 45,
            K_HEAD = 46,
            V_HEAD = 47,
            GROUP = 48,
            GROUP_LEFT = 49,
            ONE_SLOT = 50,
            ZERO_SLOT = 51;
    /** Longs in a parameter block. */
    public static final int PARAMS = 52;

    /** Query rows per block and floats per key or value panel. */
    public static final int MR = 8, NR = 32;

    /** Constant-table slots (floats) after the lane tree's rotations. */
    private static final int C_LO = 64,
            C_LOG2E = 65,
            C_SHIFTER = 66,
            C_NEG_LN2_HI = 67,
            C_NEG_LN2_LO = 68,
            C_E1 = 69,
            C_E2 = 70,
            C_E3 = 71,
            C_E4 = 72,
            C_E5 = 73,
            C_ONE = 74,
            C_ZERO = 75,
            C_NEG_INF = 76,
            C_SLOTS = 77;

    private static final int EQ_OQ = 0;
    private static final int ROTATIONS = 28;

    private final MethodHandle head;

    private AttentionHeadKernels() {
        head = ExecutableMemory.link(code(), ExecutableMemory.KERNEL);
    }

    /** The kernel when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static AttentionHeadKernels loadIfSupported() {
        return Shared.KERNEL;
    }

    private static final class Shared {
        static final AttentionHeadKernels KERNEL =
                CpuFeatures.avx512() ? CpuFeatures.loadOrNull("attention head", AttentionHeadKernels::new) : null;
    }

    /**
     * The constant table {@link #CONSTANTS} points at: the lane tree's rotations and the exp's
     * constants, in the order {@code lo, log2e, shifter, -ln2Hi, -ln2Lo, e1..e5}: the Java kernel's own
     * values, passed in so that the bits stay the Java kernel's.
     */
    public static MemorySegment constants(float[] exp) {
        if (exp.length != 10) {
            throw new IllegalArgumentException("10 exp constants, not " + exp.length);
        }
        MemorySegment constants = Arena.global().allocate(4L * C_SLOTS, 64);
        LaneTree.writeRotations(constants, 0);
        for (int i = 0; i < exp.length; i++) {
            constants.setAtIndex(ValueLayout.JAVA_FLOAT, C_LO + i, exp[i]);
        }
        constants.setAtIndex(ValueLayout.JAVA_FLOAT, C_ONE, 1f);
        constants.setAtIndex(ValueLayout.JAVA_FLOAT, C_ZERO, 0f);
        constants.setAtIndex(ValueLayout.JAVA_FLOAT, C_NEG_INF, Float.NEGATIVE_INFINITY);
        return constants;
    }

    /** Runs the head the block at {@code params} describes; the caller guarantees every size. */
    public void run(long params) {
        ExecutableMemory.call(head, params);
    }

    static byte[] code() {
        Assembler x = new Assembler();
        int[] saved = {RBX, RBP, R12, R13, R14, R15};
        for (int r : saved) {
            x.push(r);
        }
        int head = x.newLabel();
        int lastHead = x.newLabel();
        x.bind(head);
        pack(x);
        x.movLoad(RAX, param(CONSTANTS));
        LaneTree.loadRotations(x, ROTATIONS, Mem.at(RAX, 0));
        x.movLoad(R8, param(Q));
        x.movLoad(R9, param(O));
        x.movLoad(R15, param(BLOCKS));
        x.movLoad(R13, param(LD));
        int block = x.newLabel();
        x.bind(block);
        scores(x);
        softmax(x);
        values(x);
        x.movLoad(RCX, param(Q_BLOCK));
        x.addReg(R8, RCX);
        x.movLoad(RCX, param(O_BLOCK));
        x.addReg(R9, RCX);
        x.dec(R15);
        x.jnz(block);
        unpack(x);
        nextHead(x, lastHead);
        x.jmp(head);
        x.bind(lastHead);
        for (int i = saved.length - 1; i >= 0; i--) {
            x.pop(saved[i]);
        }
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /**
     * Counts the head done and jumps to {@code last} after the last one; else moves q and the output
     * on by a head, and k and v by a kv head where the group ends (then they are packed again).
     */
    private static void nextHead(Assembler x, int last) {
        x.movLoad(RCX, param(HEADS));
        x.dec(RCX);
        x.jz(last);
        x.movStore(param(HEADS), RCX);
        advance(x, Q_SRC, Q_HEAD);
        advance(x, OUT, OUT_HEAD);
        int sameGroup = x.newLabel();
        int next = x.newLabel();
        x.movLoad(RCX, param(GROUP_LEFT));
        x.dec(RCX);
        x.jnz(sameGroup);
        advance(x, K_SRC, K_HEAD);
        advance(x, V_SRC, V_HEAD);
        x.movLoad(RCX, param(GROUP));
        x.movStore(param(GROUP_LEFT), RCX);
        x.movLoad(RCX, param(ONE_SLOT));
        x.movStore(param(PACK_KV), RCX);
        x.jmp(next);
        x.bind(sameGroup);
        x.movStore(param(GROUP_LEFT), RCX);
        x.movLoad(RCX, param(ZERO_SLOT));
        x.movStore(param(PACK_KV), RCX);
        x.bind(next);
    }

    /** {@code slot += param(by)}. */
    private static void advance(Assembler x, int slot, int by) {
        x.movLoad(RCX, param(slot));
        x.movLoad(RDX, param(by));
        x.addReg(RCX, RDX);
        x.movStore(param(slot), RCX);
    }

    /**
     * The head's q, k and v from where they are into the Java kernel's tiles ({@code
     * AttentionHeads.packRowBlocks}, {@code packKeyPanels}, {@code packValuePanels}): each tile zeroed,
     * then its elements moved one by one (a head is a few thousand floats). k and v only when {@link
     * #PACK_KV} says so.
     */
    private static void pack(Assembler x) {
        zero(x, Q, Q_VECTORS);
        // q: row i, element e to [i / 8][e][i % 8]; rsi the row, rdx its first slot, r11 rows to the block's end.
        scatterRows(x, Q_SRC, Q_ROW, Q, SQ, D, 4 * MR, ROWS, 4, Q_STEP);
        int done = x.newLabel();
        x.movLoad(RCX, param(PACK_KV));
        x.test(RCX);
        x.jz(done);
        zero(x, K, K_VECTORS);
        // k: key j, element e to [j / 32][e][j % 32].
        scatterRows(x, K_SRC, K_ROW, K, KEYS, D, 4 * NR, PANEL_WIDTH, 4, K_STEP);
        zero(x, V, V_VECTORS);
        // v: key j, column c to [c / 32][j][c % 32]: per key a row of dv, a panel jump every 32 columns.
        x.movLoad(RSI, param(V_SRC));
        x.movLoad(RDX, param(V));
        x.movLoad(R10, param(KEYS));
        x.movLoad(R12, param(V_ROW));
        int key = x.newLabel();
        x.bind(key);
        x.mov(RAX, RSI);
        x.mov(RBX, RDX);
        x.movLoad(RCX, param(DV));
        x.movLoad(R11, param(PANEL_WIDTH));
        int column = x.newLabel();
        int samePanel = x.newLabel();
        x.bind(column);
        x.vmovssLoad(0, Mem.at(RAX, 0));
        x.vmovssStore(Mem.at(RBX, 0), 0);
        x.add(RAX, 4);
        x.add(RBX, 4);
        x.dec(R11);
        x.jnz(samePanel);
        x.movLoad(R11, param(PANEL_WIDTH));
        x.movLoad(R14, param(V_STEP));
        x.addReg(RBX, R14);
        x.bind(samePanel);
        x.dec(RCX);
        x.jnz(column);
        x.addReg(RSI, R12);
        x.add(RDX, 4 * NR);
        x.dec(R10);
        x.jnz(key);
        x.bind(done);
    }

    /**
     * Rows of {@code count} elements at {@code src} ({@code srcRow} bytes apart) into a tile at {@code
     * dst}: element e of a row {@code elementStep} bytes after element e-1, each row 4 bytes after
     * the previous one, and after every {@code group} rows a jump of {@code groupStep} bytes more.
     */
    private static void scatterRows(
            Assembler x,
            int src,
            int srcRow,
            int dst,
            int rows,
            int count,
            int elementStep,
            int group,
            int rowStep,
            int groupStep) {
        x.movLoad(RSI, param(src));
        x.movLoad(RDX, param(dst));
        x.movLoad(R10, param(rows));
        x.movLoad(R11, param(group));
        x.movLoad(R12, param(srcRow));
        int row = x.newLabel();
        int element = x.newLabel();
        int sameGroup = x.newLabel();
        x.bind(row);
        x.mov(RAX, RSI);
        x.mov(RBX, RDX);
        x.movLoad(RCX, param(count));
        x.bind(element);
        x.vmovssLoad(0, Mem.at(RAX, 0));
        x.vmovssStore(Mem.at(RBX, 0), 0);
        x.add(RAX, 4);
        x.add(RBX, elementStep);
        x.dec(RCX);
        x.jnz(element);
        x.addReg(RSI, R12);
        x.add(RDX, rowStep);
        x.dec(R11);
        x.jnz(sameGroup);
        x.movLoad(R11, param(group));
        x.movLoad(R14, param(groupStep));
        x.addReg(RDX, R14);
        x.bind(sameGroup);
        x.dec(R10);
        x.jnz(row);
    }

    /** Zeroes {@code vectors} 64-byte vectors from the address in slot {@code at}. */
    private static void zero(Assembler x, int at, int vectors) {
        x.movLoad(RDX, param(at));
        x.movLoad(RCX, param(vectors));
        x.vpxord(0, 0, 0);
        int loop = x.newLabel();
        x.bind(loop);
        x.vmovdqu32Store(Mem.at(RDX, 0), 0);
        x.add(RDX, 64);
        x.dec(RCX);
        x.jnz(loop);
    }

    /** The head's output rows (sq of dv floats, OUT_ROW bytes apart) from the output tile. */
    private static void unpack(Assembler x) {
        x.movLoad(RSI, param(O));
        x.movLoad(RDX, param(OUT));
        x.movLoad(R10, param(SQ));
        x.movLoad(R11, param(LDO));
        x.movLoad(R12, param(OUT_ROW));
        int row = x.newLabel();
        int element = x.newLabel();
        x.bind(row);
        x.mov(RAX, RSI);
        x.mov(RBX, RDX);
        x.movLoad(RCX, param(DV));
        x.bind(element);
        x.vmovssLoad(0, Mem.at(RAX, 0));
        x.vmovssStore(Mem.at(RBX, 0), 0);
        x.add(RAX, 4);
        x.add(RBX, 4);
        x.dec(RCX);
        x.jnz(element);
        x.addReg(RSI, R11);
        x.addReg(RDX, R12);
        x.dec(R10);
        x.jnz(row);
    }

    /** Accumulator of row {@code r}, half {@code c} of the 8 × 32 tile. */
    private static int acc(int r, int c) {
        return 2 * r + c;
    }

    /** The block's scores, stored row by row at SC (LD bytes apart), and each row's lane-wise max. */
    private static void scores(Assembler x) {
        x.movLoad(RAX, param(ROW_MAX));
        x.movLoad(RDX, param(CONSTANTS));
        x.vbroadcastss(21, Mem.at(RDX, 4 * C_NEG_INF));
        for (int r = 0; r < MR; r++) {
            x.vmovdqu32Store(Mem.at(RAX, 64 * r), 21);
        }
        x.vbroadcastss(18, param(SCALE));
        x.movLoad(RSI, param(K));
        x.movLoad(RDX, param(SC));
        x.movLoad(R10, param(MASK));
        x.movLoad(R11, param(PANELS));
        int panel = x.newLabel();
        x.bind(panel);
        for (int a = 0; a < 2 * MR; a++) {
            x.vpxord(a, a, a);
        }
        x.mov(RBX, R8);
        x.mov(RBP, RSI);
        x.movLoad(RCX, param(D));
        int step = x.newLabel();
        x.bind(step);
        x.vmovupsLoad(16, Mem.at(RBP, 0));
        x.vmovupsLoad(17, Mem.at(RBP, 64));
        for (int r = 0; r < MR; r++) {
            x.vfmadd231psBroadcast(acc(r, 0), 16, Mem.at(RBX, 4 * r));
            x.vfmadd231psBroadcast(acc(r, 1), 17, Mem.at(RBX, 4 * r));
        }
        x.add(RBP, 4 * NR);
        x.add(RBX, 4 * MR);
        x.dec(RCX);
        x.jnz(step);
        x.vmovupsLoad(19, Mem.at(R10, 0));
        x.vmovupsLoad(20, Mem.at(R10, 64));
        x.mov(R12, RDX);
        for (int r = 0; r < MR; r++) {
            int c0 = acc(r, 0);
            int c1 = acc(r, 1);
            x.vfmadd213ps(c0, 18, 19); // score · scale + mask, one rounding
            x.vfmadd213ps(c1, 18, 20);
            x.vmovdqu32Store(Mem.at(R12, 0), c0);
            x.vmovdqu32Store(Mem.at(R12, 64), c1);
            x.vcmpps(1, c1, c0, Assembler.GT_OQ);
            x.vblendmps(c0, 1, c0, c1);
            x.vmovupsLoad(21, Mem.at(RAX, 64 * r));
            x.vcmpps(1, c0, 21, Assembler.GT_OQ);
            x.vblendmps(21, 1, 21, c0);
            x.vmovdqu32Store(Mem.at(RAX, 64 * r), 21);
            x.addReg(R12, R13);
        }
        x.movLoad(RCX, param(K_PANEL));
        x.addReg(RSI, RCX);
        x.add(RDX, 4 * NR);
        x.add(R10, 4 * NR);
        x.dec(R11);
        x.jnz(panel);
    }

    /** Exp constants and temporaries of {@link #softmax} (zmm8-19 hold the constants). */
    private static final int LO = 8, LOG2E = 9, SHIFTER = 10, NEG_LN2_HI = 11, NEG_LN2_LO = 12;

    private static final int E5 = 13, E4 = 14, E3 = 15, E2 = 16, E1 = 17, ONE = 18, ZERO = 19;

    /**
     * Each row's softmax in place at SC, and its 1/Σ at INV. Registers: r12 the row, rax its lane
     * maxima, rbp its 1/Σ, r14 rows left, rsi the element a loop is at, rcx the loop's count, rdx the
     * tail's scratch; zmm0 the lane maxima, zmm1 the max, zmm2 the lane sums.
     */
    private static void softmax(Assembler x) {
        x.movLoad(RDX, param(CONSTANTS));
        int[] slots = {C_LO, C_LOG2E, C_SHIFTER, C_NEG_LN2_HI, C_NEG_LN2_LO, C_E5, C_E4, C_E3, C_E2, C_E1, C_ONE, C_ZERO
        };
        for (int i = 0; i < slots.length; i++) {
            x.vbroadcastss(LO + i, Mem.at(RDX, 4 * slots[i]));
        }
        x.movLoad(R12, param(SC));
        x.movLoad(RAX, param(ROW_MAX));
        x.movLoad(RBP, param(INV));
        x.movLoad(R14, param(ROWS));
        int row = x.newLabel();
        int attends = x.newLabel();
        int tail = x.newLabel();
        int sum = x.newLabel();
        int next = x.newLabel();
        x.bind(row);
        // The row's max: its lanes folded by max (order-free for the finite and infinite values a max can hold).
        x.vmovupsLoad(0, Mem.at(RAX, 0));
        for (int step = 0; step < 4; step++) {
            x.vpermd(1, ROTATIONS + step, 0);
            x.vmaxps(0, 0, 1);
        }
        x.vbroadcastss(1, 0);
        x.movLoad(RDX, param(CONSTANTS));
        x.vcmppsBroadcast(1, 0, Mem.at(RDX, 4 * C_NEG_INF), EQ_OQ);
        x.kortestw(1, 1);
        x.jz(attends);
        // Every key masked: the row attends nothing (zeros, 1/Σ = 0).
        x.mov(RSI, R12);
        x.movLoad(RCX, param(PANELS));
        int zero = x.newLabel();
        x.bind(zero);
        x.vmovdqu32Store(Mem.at(RSI, 0), ZERO);
        x.vmovdqu32Store(Mem.at(RSI, 64), ZERO);
        x.add(RSI, 4 * NR);
        x.dec(RCX);
        x.jnz(zero);
        x.vmovssStore(Mem.at(RBP, 0), ZERO);
        x.jmp(next);

        x.bind(attends);
        x.vpxord(2, 2, 2);
        x.mov(RSI, R12);
        x.movLoad(RCX, param(KEY_VECTORS));
        x.test(RCX);
        x.jz(tail);
        int vectors = x.newLabel();
        x.bind(vectors);
        x.vmovupsLoad(3, Mem.at(RSI, 0));
        exp(x);
        x.vmovdqu32Store(Mem.at(RSI, 0), 4);
        x.vaddps(2, 2, 4);
        x.add(RSI, 64);
        x.dec(RCX);
        x.jnz(vectors);
        x.bind(tail);
        LaneTree.sum(x, 2, 3, ROTATIONS);
        x.movLoad(RCX, param(KEY_TAIL));
        x.test(RCX);
        x.jz(sum);
        // The tail: one more vector (its lanes past the row read padding, which the row holds), its
        // exps parked in scratch, then written back and added one by one, as the scalar tail adds them.
        x.vmovupsLoad(3, Mem.at(RSI, 0));
        exp(x);
        x.movLoad(RDX, param(TMP));
        x.vmovdqu32Store(Mem.at(RDX, 0), 4);
        int scalar = x.newLabel();
        x.bind(scalar);
        x.vmovssLoad(3, Mem.at(RDX, 0));
        x.vmovssStore(Mem.at(RSI, 0), 3);
        x.vaddss(2, 2, 3);
        x.add(RSI, 4);
        x.add(RDX, 4);
        x.dec(RCX);
        x.jnz(scalar);
        x.bind(sum);
        x.vdivss(3, ONE, 2);
        x.vmovssStore(Mem.at(RBP, 0), 3);

        x.bind(next);
        x.addReg(R12, R13);
        x.add(RAX, 64);
        x.add(RBP, 4);
        x.dec(R14);
        x.jnz(row);
    }

    /**
     * zmm4 = e^(zmm3 - zmm1) by {@code AttentionMicroKernels.expShiftedSum}'s lane steps (k2 the
     * lanes below LO, zmm5-7 scratch): clamp, n by the shifter, r = x - n·ln2 in two fmas, the
     * degree-5 polynomial, 2^n added to the exponent bits, zero below LO.
     */
    private static void exp(Assembler x) {
        x.vsubps(3, 3, 1);
        x.vcmpps(2, 3, LO, Assembler.LT_OQ);
        x.vblendmps(3, 2, 3, LO);
        x.vpord(5, SHIFTER, SHIFTER);
        x.vfmadd231ps(5, 3, LOG2E); // t = x·log2e + shifter
        x.vsubps(6, 5, SHIFTER); // n
        x.vpord(7, 3, 3);
        x.vfmadd231ps(7, 6, NEG_LN2_HI); // r = n·(-ln2 hi) + x
        x.vfmadd231ps(7, 6, NEG_LN2_LO);
        x.vpord(4, E4, E4);
        x.vfmadd231ps(4, 7, E5); // y = r·e5 + e4
        x.vfmadd213ps(4, 7, E3); // y = y·r + e3, then e2, e1, 1
        x.vfmadd213ps(4, 7, E2);
        x.vfmadd213ps(4, 7, E1);
        x.vfmadd213ps(4, 7, ONE);
        x.vpslld(5, 5, 23);
        x.vpaddd(4, 4, 5);
        x.vblendmps(4, 2, 4, ZERO);
    }

    /**
     * The block's outputs: per value panel an 8 × 32 tile over the keys in order, each row times its
     * 1/Σ, stored at the block's output rows (LDO bytes apart). Registers: rsi the panel, r10 the
     * output columns, r11 panels left, rbx the probabilities at key j (rows LD apart: r13, r14 =
     * 3·LD, r12 = 5·LD, rdx = 7·LD as index registers), rbp the panel at key j, rcx keys left, rax
     * the output row a store is at.
     */
    private static void values(Assembler x) {
        x.lea(R14, new Mem(R13, R13, 2, 0));
        x.lea(R12, new Mem(R13, R13, 4, 0));
        x.lea(RDX, new Mem(R14, R13, 4, 0));
        x.movLoad(RSI, param(V));
        x.mov(R10, R9);
        x.movLoad(R11, param(V_PANELS));
        int panel = x.newLabel();
        x.bind(panel);
        for (int a = 0; a < 2 * MR; a++) {
            x.vpxord(a, a, a);
        }
        x.movLoad(RBX, param(SC));
        x.mov(RBP, RSI);
        x.movLoad(RCX, param(KEYS));
        int key = x.newLabel();
        x.bind(key);
        x.vmovupsLoad(16, Mem.at(RBP, 0));
        x.vmovupsLoad(17, Mem.at(RBP, 64));
        for (int r = 0; r < MR; r++) {
            Mem p = probability(r);
            x.vfmadd231psBroadcast(acc(r, 0), 16, p);
            x.vfmadd231psBroadcast(acc(r, 1), 17, p);
        }
        x.add(RBP, 4 * NR);
        x.add(RBX, 4);
        x.dec(RCX);
        x.jnz(key);
        x.movLoad(RBX, param(INV));
        x.mov(RAX, R10);
        for (int r = 0; r < MR; r++) {
            x.vmulpsBroadcast(acc(r, 0), acc(r, 0), Mem.at(RBX, 4 * r));
            x.vmulpsBroadcast(acc(r, 1), acc(r, 1), Mem.at(RBX, 4 * r));
            x.vmovdqu32Store(Mem.at(RAX, 0), acc(r, 0));
            x.vmovdqu32Store(Mem.at(RAX, 64), acc(r, 1));
            x.movLoad(RCX, param(LDO));
            x.addReg(RAX, RCX);
        }
        x.movLoad(RCX, param(V_PANEL));
        x.addReg(RSI, RCX);
        x.add(R10, 4 * NR);
        x.dec(R11);
        x.jnz(panel);
    }

    /** Row {@code r}'s probability at key j: rbx plus r·LD, from the multiples of LD held in registers. */
    private static Mem probability(int r) {
        return switch (r) {
            case 0 -> Mem.at(RBX, 0);
            case 1 -> new Mem(RBX, R13, 1, 0);
            case 2 -> new Mem(RBX, R13, 2, 0);
            case 3 -> new Mem(RBX, R14, 1, 0);
            case 4 -> new Mem(RBX, R13, 4, 0);
            case 5 -> new Mem(RBX, R12, 1, 0);
            case 6 -> new Mem(RBX, R14, 2, 0);
            default -> new Mem(RBX, RDX, 1, 0);
        };
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
