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
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code f32_gemm_8x32__avx512}: the register tile of {@code Sgemm} in machine code. Eight rows of
 * the packed A ({@code a[kk · 8 + r]}, the eight values of one k adjacent) times one panel of 32
 * columns of B ({@code b + kk · bRow}, two vectors), sixteen accumulators, {@code kc} steps; the
 * tile starts from C ({@link #ACC}), from a bias row ({@link #BIAS}) or from zero, and is stored to
 * C (rows {@code cRow} bytes apart).
 *
 * <p>Per k: two B loads and sixteen {@code vfmadd231ps} whose third operand is A's value broadcast
 * from memory ({@code {1to16}}), each accumulator updated in k order with one rounding per step:
 * the same operations in the same order as the Vector API kernel, so the bits are the same. Why
 * machine code for a kernel the Vector API expresses: the Vector API form reads B and C through
 * {@code MemorySegment}s, whose liveness checks C2 keeps inside the loop once a speculation on them
 * has failed (7% of an int8 MiniLM profile sat in them under this kernel); this one reads raw
 * addresses.
 *
 * <p>Parameter block (longs): {@link #A}, {@link #B}, {@link #B_ROW}, {@link #C}, {@link #C_ROW},
 * {@link #K}, {@link #BIAS_ROW}. System V, one argument (the block in rdi); rbx is saved.
 *
 * <p>{@code f32_gemm_{1..8}x32__avx512_tiles} ({@link #runTiles}): {@link #TILES} such tiles of one
 * panel, one below the other, in one call, so a call is made per panel rather than per tile. A is
 * either packed as above ({@link #A_TILE} bytes from one tile's A to the next) or, {@code strided},
 * read in place: row {@code r} of a tile at {@code a + r · lda} ({@link #LDA}), consecutive k 4 bytes
 * apart, so a row-major activation needs no packing at all (the broadcast operand addresses row r
 * as {@code [rsi + lda · {0,1,2,3,4,5,6,7}]} from four multiples of lda held in r12–r15). While the
 * first tile runs, the panel {@link #PF} bytes further on (the next one) is prefetched into L2, two
 * lines per k, so its first tile does not wait on memory. The per-output k order is the single
 * tile's, so the bits are too.
 */
public final class FmaGemmKernels {
    /** Rows and columns of the tile. */
    public static final int MR = 8, NR = 32;

    /** How the tile starts. */
    public static final int ZERO = 0, ACC = 1, BIAS = 2;

    /** Parameter block slots. */
    public static final int A = 0, B = 1, B_ROW = 2, C = 3, C_ROW = 4, K = 5, BIAS_ROW = 6;
    /** Parameter block slots of {@link #runTiles}, after the tile's own. */
    public static final int LDA = 7, TILES = 8, A_TILE = 9, PF = 10, CONSTANTS = 11;
    /**
     * Slots of {@link #runTiles}' panel loop: {@link #PANELS} panels (at least one), B {@link
     * #B_PANEL} bytes from one panel to the next, C and the bias row 32 floats. The kernel advances
     * B, C, the bias row and the panel count in the block as it goes.
     */
    public static final int PANELS = 12, B_PANEL = 13;
    /** Longs in a parameter block. */
    public static final int PARAMS = 14;

    /**
     * The GELU epilogue's constant table ({@link #CONSTANTS}, 4-byte slots): the caller fills it
     * with the values its reference GELU uses, so the bits are the reference's.
     */
    public static final int K_SQRT_HALF = 0,
            K_ABS = 1,
            K_ONE = 2,
            K_HALF = 3,
            K_ERF_SPLIT = 4,
            K_SIGN = 5,
            K_ZERO = 6,
            K_LARGE_END = 7,
            K_U_SCALE = 8,
            K_U_OFFSET = 9,
            K_SMALL = 10,
            K_LARGE = 17;
    /** Terms of erf's two polynomials (below and above the split); slots in the constant table. */
    public static final int SMALL_TERMS = 7, LARGE_TERMS = 13, CONSTANT_SLOTS = K_LARGE + LARGE_TERMS;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle[] byStart = new MethodHandle[3];
    /** Tiles kernels by [gelu][strided][start][rows - 1], linked on first use. */
    private final MethodHandle[][][][] tiles = new MethodHandle[2][2][3][MR];

    private FmaGemmKernels() {
        for (int start = ZERO; start <= BIAS; start++) {
            byStart[start] = ExecutableMemory.link(code(start), SIGNATURE);
        }
    }

    /**
     * The process's kernels when this CPU has AVX-512 and native kernels are on, else {@code null}.
     * Made once, by whichever thread asks first: a fresh jar process's {@code ForeignWarmup} makes
     * them (assembling code in the interpreter, ~5-20 ms) while the main thread builds the model.
     */
    public static FmaGemmKernels loadIfSupported() {
        return Shared.KERNELS;
    }

    private static final class Shared {
        static final FmaGemmKernels KERNELS =
                CpuFeatures.avx512() ? CpuFeatures.loadOrNull("f32 GEMM", FmaGemmKernels::new) : null;
    }

    /** Runs the tile the block at {@code params} describes; the caller guarantees every size. */
    public void run(int start, long params) {
        ExecutableMemory.call(byStart[start], params);
    }

    /**
     * Runs {@link #TILES} tiles of {@code rows} rows each as the block at {@code params} describes
     * (slots {@link #A} to {@link #PF}); the caller guarantees every size.
     */
    public void runTiles(int rows, int start, boolean strided, boolean gelu, long params) {
        MethodHandle h = tiles[gelu ? 1 : 0][strided ? 1 : 0][start][rows - 1];
        if (h == null) {
            h = linkTiles(rows, start, strided, gelu);
        }
        ExecutableMemory.call(h, params);
    }

    /**
     * Links the tile kernels an encoder's first call needs, for {@code ForeignWarmup} to do off the
     * main thread (assembling one in the interpreter costs up to ~2 ms, the GELU ones most): full
     * 8-row tiles reading A in place from a bias, with and without the GELU epilogue, and
     * continuing the sums of an earlier K block; the one-row tiles of a pooler's single row, from a
     * bias and continuing. No more: the warm-up shares the device's few CPUs with the main thread,
     * and a tile nobody calls would only compete with it.
     */
    public void prelinkCommonTiles() {
        linkTiles(MR, BIAS, true, false);
        linkTiles(MR, BIAS, true, true);
        linkTiles(MR, ACC, true, false);
        linkTiles(1, BIAS, true, false);
        linkTiles(1, ACC, true, false);
    }

    private synchronized MethodHandle linkTiles(int rows, int start, boolean strided, boolean gelu) {
        MethodHandle h = tiles[gelu ? 1 : 0][strided ? 1 : 0][start][rows - 1];
        if (h == null) {
            h = ExecutableMemory.link(tilesCode(rows, start, strided, gelu), SIGNATURE);
            tiles[gelu ? 1 : 0][strided ? 1 : 0][start][rows - 1] = h;
        }
        return h;
    }

    /**
     * The machine code of {@link #runTiles}: per panel, the first tile with the next panel's
     * prefetch, then the others in a loop. Registers: rax A of the tile, rsi A at k, rdx B at k, r9 bRow, r8 C of the
     * tile, r10 cRow, rcx k left, rbp tiles left, r12–r15 lda, 3·lda, 5·lda, 7·lda (strided), r11
     * and rbx C rows 3 and 6 at the ends of a tile, rbx the prefetch distance during the first.
     */
    static byte[] tilesCode(int rows, int start, boolean strided, boolean gelu) {
        if (rows < 1 || rows > MR || start < ZERO || start > BIAS) {
            throw new IllegalArgumentException("tiles of " + rows + " rows, start " + start);
        }
        Assembler x = new Assembler();
        int[] saved = {RBX, RBP, R12, R13, R14, R15};
        for (int r : saved) {
            x.push(r);
        }
        x.movLoad(RAX, param(A));
        x.movLoad(R9, param(B_ROW));
        x.movLoad(R8, param(C));
        x.movLoad(R10, param(C_ROW));
        x.movLoad(RBP, param(TILES));
        if (strided) {
            x.movLoad(R12, param(LDA));
            x.lea(R13, new Mem(R12, R12, 2, 0));
            x.lea(R14, new Mem(R12, R12, 4, 0));
            x.lea(R15, new Mem(R13, R12, 4, 0));
        }
        int panel = x.newLabel();
        int done = x.newLabel();
        int loop = x.newLabel();
        int finished = x.newLabel();
        x.bind(panel);
        tile(x, rows, start, strided, gelu, true);
        x.dec(RBP);
        x.jz(done);
        x.bind(loop);
        tile(x, rows, start, strided, gelu, false);
        x.dec(RBP);
        x.jnz(loop);
        x.bind(done);
        // The next panel: B on by B_PANEL, C and the bias row by a panel's 32 floats, A from its start.
        x.movLoad(RCX, param(PANELS));
        x.dec(RCX);
        x.jz(finished);
        x.movStore(param(PANELS), RCX);
        x.movLoad(RCX, param(B));
        x.movLoad(RDX, param(B_PANEL));
        x.addReg(RCX, RDX);
        x.movStore(param(B), RCX);
        x.movLoad(R8, param(C));
        x.add(R8, 4 * NR);
        x.movStore(param(C), R8);
        if (start == BIAS) {
            x.movLoad(RCX, param(BIAS_ROW));
            x.add(RCX, 4 * NR);
            x.movStore(param(BIAS_ROW), RCX);
        }
        x.movLoad(RAX, param(A));
        x.movLoad(RBP, param(TILES));
        x.jmp(panel);
        x.bind(finished);
        for (int i = saved.length - 1; i >= 0; i--) {
            x.pop(saved[i]);
        }
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** One tile of {@link #tilesCode}; advances r8 and rax to the next tile. */
    private static void tile(Assembler x, int rows, int start, boolean strided, boolean gelu, boolean prefetch) {
        int loop = x.newLabel();
        int store = x.newLabel();
        x.mov(RSI, RAX);
        x.movLoad(RDX, param(B));
        if (start == ACC) {
            cRows(x);
        }
        if (start == BIAS) {
            x.movLoad(RBX, param(BIAS_ROW));
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 2; c++) {
                switch (start) {
                    case ACC -> x.vmovdqu32Load(acc(r, c), cRow(r, 64 * c));
                    case BIAS -> x.vmovdqu32Load(acc(r, c), Mem.at(RBX, 64 * c));
                    default -> x.vpxord(acc(r, c), acc(r, c), acc(r, c));
                }
            }
        }
        x.movLoad(RCX, param(K));
        x.test(RCX);
        x.jz(store);
        if (prefetch) {
            x.movLoad(RBX, param(PF));
        }
        x.bind(loop);
        if (prefetch) {
            x.prefetcht1(Mem.at(RDX, RBX, 1));
            x.prefetcht1(new Mem(RDX, RBX, 1, 64));
        }
        x.vmovdqu32Load(16, Mem.at(RDX, 0));
        x.vmovdqu32Load(17, Mem.at(RDX, 64));
        for (int r = 0; r < rows; r++) {
            Mem a = strided ? aRow(r) : Mem.at(RSI, 4 * r);
            x.vfmadd231psBroadcast(acc(r, 0), 16, a);
            x.vfmadd231psBroadcast(acc(r, 1), 17, a);
        }
        x.add(RSI, strided ? 4 : 4 * MR);
        x.addReg(RDX, R9);
        x.dec(RCX);
        x.jnz(loop);
        x.bind(store);
        if (rows > 3) {
            cRows(x);
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 2; c++) {
                x.vmovdqu32Store(cRow(r, 64 * c), acc(r, c));
            }
        }
        if (gelu) {
            // GELU on the stored rows, now in L1, two vectors at a time: each is a chain of ~35
            // dependent operations, so two interleaved chains with their own registers (all 32
            // are free once the tile is stored) keep both FMA ports busy where one would wait.
            x.movLoad(RDX, param(CONSTANTS));
            for (int r = 0; r < rows; r++) {
                x.vmovdqu32Load(0, cRow(r, 0));
                x.vmovdqu32Load(1, cRow(r, 64));
                List<GeluOp> first = geluOps(0, 2, 1);
                List<GeluOp> second = geluOps(1, 16, 3);
                for (int i = 0; i < first.size(); i++) {
                    first.get(i).emit(x);
                    second.get(i).emit(x);
                }
                x.vmovdqu32Store(cRow(r, 0), 0);
                x.vmovdqu32Store(cRow(r, 64), 1);
            }
        }
        x.lea(R8, Mem.at(R8, R10, 8));
        x.movLoad(RCX, param(A_TILE));
        x.addReg(RAX, RCX);
    }

    /**
     * The instructions of {@code v = gelu(v)} on one vector register, with the constant table at
     * rdx, the nine registers from {@code scratch} and opmasks {@code mask}, {@code mask + 1} as
     * scratch (two chains with disjoint registers can then be interleaved): exact GELU {@code x/2 ·
     * (1 + erf(x/√2))}, erf as {@code h · SMALL(h²)} below {@link #K_ERF_SPLIT} and {@code sign(h) (1
     * − LARGE(u))}, {@code u = min(|h|, end) · scale + offset}, above. The operations, their operand
     * values and their order are those of {@code FloatMath.geluRows}'s vector loop, each IEEE-exact
     * (one rounding per operation, FMAs fused), so each lane gets the reference's bits (a NaN input
     * gives NaN either way).
     */
    static List<GeluOp> geluOps(int v, int scratch, int mask) {
        final int h = scratch, h2 = scratch + 1, small = scratch + 2, z = scratch + 3, u = scratch + 4;
        final int t = scratch + 5, q = scratch + 6, large = scratch + 7, neg = scratch + 8;
        final int k1 = mask, k2 = mask + 1;
        List<GeluOp> ops = new ArrayList<>();
        ops.add(GeluOp.withConstant(GeluOp.Form.MUL_BROADCAST, h, v, K_SQRT_HALF));
        ops.add(GeluOp.withRegisters(GeluOp.Form.MUL, h2, h, h));
        ops.add(GeluOp.withConstant(GeluOp.Form.BROADCAST, small, -1, K_SMALL + SMALL_TERMS - 1));
        for (int j = SMALL_TERMS - 2; j >= 0; j--) {
            ops.add(GeluOp.withConstant(GeluOp.Form.FMA213_BROADCAST, small, h2, K_SMALL + j));
        }
        ops.add(GeluOp.withRegisters(GeluOp.Form.MUL, small, h, small));
        ops.add(GeluOp.withConstant(GeluOp.Form.AND_BROADCAST, z, h, K_ABS));
        // min(end, z) with z second: x86 returns the second operand when one is NaN, as Java's min keeps the NaN.
        ops.add(GeluOp.withConstant(GeluOp.Form.BROADCAST, u, -1, K_LARGE_END));
        ops.add(GeluOp.withRegisters(GeluOp.Form.MIN, u, u, z));
        ops.add(GeluOp.withConstant(GeluOp.Form.BROADCAST, t, -1, K_U_OFFSET));
        ops.add(GeluOp.withConstant(GeluOp.Form.FMA231_BROADCAST, t, u, K_U_SCALE));
        ops.add(GeluOp.withConstant(GeluOp.Form.BROADCAST, q, -1, K_LARGE + LARGE_TERMS - 1));
        for (int j = LARGE_TERMS - 2; j >= 0; j--) {
            ops.add(GeluOp.withConstant(GeluOp.Form.FMA213_BROADCAST, q, t, K_LARGE + j));
        }
        // erf = z < split ? small : sign(h) · (1 − q); gelu = (v · 0.5) · (erf + 1).
        ops.add(GeluOp.withConstant(GeluOp.Form.BROADCAST, large, -1, K_ONE));
        ops.add(GeluOp.withRegisters(GeluOp.Form.SUB, large, large, q));
        ops.add(GeluOp.withConstant(GeluOp.Form.XOR_BROADCAST, neg, large, K_SIGN));
        ops.add(GeluOp.withConstant(GeluOp.Form.CMP_LT_BROADCAST, k1, h, K_ZERO));
        ops.add(GeluOp.blend(large, k1, large, neg));
        ops.add(GeluOp.withConstant(GeluOp.Form.CMP_LT_BROADCAST, k2, z, K_ERF_SPLIT));
        ops.add(GeluOp.blend(large, k2, large, small));
        ops.add(GeluOp.withConstant(GeluOp.Form.ADD_BROADCAST, large, large, K_ONE));
        ops.add(GeluOp.withConstant(GeluOp.Form.MUL_BROADCAST, v, v, K_HALF));
        ops.add(GeluOp.withRegisters(GeluOp.Form.MUL, v, v, large));
        return ops;
    }

    /** Slot {@code i} of the constant table at rdx. */
    private static Mem k(int i) {
        return Mem.at(RDX, 4 * i);
    }

    /** r11 = C row 3, rbx = C row 6 of the tile at r8 (rows r10 bytes apart). */
    private static void cRows(Assembler x) {
        x.lea(R11, Mem.at(R8, R10, 2));
        x.lea(R11, Mem.at(R11, R10, 1));
        x.lea(RBX, Mem.at(R11, R10, 2));
        x.lea(RBX, Mem.at(RBX, R10, 1));
    }

    /** Row {@code r} of the tile's C: rows 0-2 from r8, 3-5 from r11, 6-7 from rbx. */
    private static Mem cRow(int r, int disp) {
        int base = r < 3 ? R8 : r < 6 ? R11 : RBX;
        int step = r % 3;
        return step == 0 ? Mem.at(base, disp) : new Mem(base, R10, step, disp);
    }

    /** A's row {@code r} at the current k when A is read in place: {@code rsi + r · lda}. */
    private static Mem aRow(int r) {
        return switch (r) {
            case 0 -> Mem.at(RSI, 0);
            case 1 -> Mem.at(RSI, R12, 1);
            case 2 -> Mem.at(RSI, R12, 2);
            case 3 -> Mem.at(RSI, R13, 1);
            case 4 -> Mem.at(RSI, R12, 4);
            case 5 -> Mem.at(RSI, R14, 1);
            case 6 -> Mem.at(RSI, R13, 2);
            default -> Mem.at(RSI, R15, 1);
        };
    }

    /** The machine code of the tile that starts as {@code start} says. */
    static byte[] code(int start) {
        if (start < ZERO || start > BIAS) {
            throw new IllegalArgumentException("tile start " + start);
        }
        Assembler x = new Assembler();
        int loop = x.newLabel();
        int store = x.newLabel();
        x.push(RBX);
        // rsi A, rdx B, r9 bRow, r8 C, r10 cRow, rcx k; C rows from rax (0-2), r11 (3-5), rbx (6-7).
        x.movLoad(RSI, param(A));
        x.movLoad(RDX, param(B));
        x.movLoad(R9, param(B_ROW));
        x.movLoad(R8, param(C));
        x.movLoad(R10, param(C_ROW));
        x.movLoad(RCX, param(K));
        x.mov(RAX, R8);
        x.lea(R11, Mem.at(R8, R10, 2));
        x.lea(R11, Mem.at(R11, R10, 1));
        x.lea(RBX, Mem.at(R11, R10, 2));
        x.lea(RBX, Mem.at(RBX, R10, 1));
        if (start == BIAS) {
            x.movLoad(RDI, param(BIAS_ROW));
        }
        for (int r = 0; r < MR; r++) {
            for (int c = 0; c < 2; c++) {
                switch (start) {
                    case ACC -> x.vmovdqu32Load(acc(r, c), row(r, 64 * c));
                    case BIAS -> x.vmovdqu32Load(acc(r, c), Mem.at(RDI, 64 * c));
                    default -> x.vpxord(acc(r, c), acc(r, c), acc(r, c));
                }
            }
        }
        x.test(RCX);
        x.jz(store);
        x.bind(loop);
        x.vmovdqu32Load(16, Mem.at(RDX, 0));
        x.vmovdqu32Load(17, Mem.at(RDX, 64));
        for (int r = 0; r < MR; r++) {
            x.vfmadd231psBroadcast(acc(r, 0), 16, Mem.at(RSI, 4 * r));
            x.vfmadd231psBroadcast(acc(r, 1), 17, Mem.at(RSI, 4 * r));
        }
        x.add(RSI, 4 * MR);
        x.addReg(RDX, R9);
        x.dec(RCX);
        x.jnz(loop);
        x.bind(store);
        for (int r = 0; r < MR; r++) {
            for (int c = 0; c < 2; c++) {
                x.vmovdqu32Store(row(r, 64 * c), acc(r, c));
            }
        }
        x.pop(RBX);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }

    /** Row {@code r} of C: rows 0-2 from rax, 3-5 from r11, 6-7 from rbx, {@code cRow} (r10) apart. */
    private static Mem row(int r, int disp) {
        int base = r < 3 ? RAX : r < 6 ? R11 : RBX;
        int step = r % 3;
        return step == 0 ? Mem.at(base, disp) : new Mem(base, R10, step, disp);
    }

    private static int acc(int row, int col) {
        return 2 * row + col;
    }
}
