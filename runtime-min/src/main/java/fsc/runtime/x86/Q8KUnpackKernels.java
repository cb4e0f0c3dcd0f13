package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RAX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code q4_K_unpack_16__avx512bw} and {@code q6_K_unpack_16__avx512bw}: 16 consecutive K-quant
 * weight rows (GGUF layout, read in place) into the panel layout of {@link Q8KGemmKernels}, the
 * same bytes as {@code Q8KPanelGemm}'s Java unpacking (its reference; tests compare them). Per
 * super-block and run of 64 values, each row's quants are unpacked to 64 bytes in one register (the
 * decode kernels' steps: nibbles split by a word shift and a mask, Q6_K's high bits merged by {@code
 * vpternlogd}), so register r holds row r's 16 quads; a 16 × 16 dword transpose ({@code vpunpck*dq}
 * twice, {@code vshufi64x2} twice: 64 shuffles) turns them into 16 vectors of one quad for the 16
 * rows, stored in order. The sub-block scales (Q4_K: six-bit scales and mins decoded on dword lanes
 * with {@code KQuantKernels}' tables) take the same transpose; the f16 {@code d} (and {@code dmin})
 * of the 16 rows are shifted into one vector ({@code valignd}) and converted. About 0.2 vector
 * instructions per weight where the Java loop spends over a cycle: unpacking stops being a third of
 * the GEMM.
 *
 * <p>Parameter block (longs): {@link #W} (row 0), {@link #ROW_BYTES}, {@link #BLOCKS} (super-blocks
 * per row, at least 1), {@link #PANEL}, {@link #CONSTS} ({@link #constants}). System V, one argument
 * (the block in rdi); no callee-saved register is used.
 */
public final class Q8KUnpackKernels {
    /** Parameter block slots. */
    public static final int W = 0, ROW_BYTES = 1, BLOCKS = 2, PANEL = 3, CONSTS = 4;
    /** Longs in a parameter block. */
    public static final int PARAMS = 5;

    private static final int C_NIBBLE_SHIFT = 0, C_QH_SHIFT = 64, C_0F = 128, C_30 = 192;
    private static final int C_SCALE_A = 256, C_SCALE_H = 320, C_SCALE_SHIFT = 384, C_SCALE_MASK = 448;
    private static final int C_SCALE_HIGH = 512, C_EVEN_WORDS = 576, C_ODD_WORDS = 640, C_BYTES = 704;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle q4K;
    private final MethodHandle q6K;
    private final MemorySegment constants;

    private Q8KUnpackKernels() {
        q4K = ExecutableMemory.link(code(Q8KGemmKernels.Q4_K), SIGNATURE);
        q6K = ExecutableMemory.link(code(Q8KGemmKernels.Q6_K), SIGNATURE);
        constants = Arena.global().allocate(C_BYTES, 64);
        MemorySegment.copy(constantBytes(), 0, constants, ValueLayout.JAVA_BYTE, 0, C_BYTES);
    }

    /** The kernels when this CPU has AVX-512 BW and VNNI (the GEMM's condition) and native kernels are on. */
    public static Q8KUnpackKernels loadIfSupported() {
        return CpuFeatures.avx512Vnni() ? CpuFeatures.loadOrNull("Q8_K panel unpack", Q8KUnpackKernels::new) : null;
    }

    /** The address of the constants the kernels read ({@link #CONSTS}). */
    public long constants() {
        return constants.address();
    }

    /** Runs the unpacking of {@code kind} ({@link Q8KGemmKernels#Q4_K} or Q6_K) on the block at {@code params}. */
    public void run(int kind, long params) {
        ExecutableMemory.call(kind == Q8KGemmKernels.Q4_K ? q4K : q6K, params);
    }

    /** The machine code of the unpacking of {@code kind}. */
    static byte[] code(int kind) {
        if (kind != Q8KGemmKernels.Q4_K && kind != Q8KGemmKernels.Q6_K) {
            throw new IllegalArgumentException("Q8_K unpack kernel " + kind);
        }
        boolean q4 = kind == Q8KGemmKernels.Q4_K;
        Assembler x = new Assembler();
        int block = x.newLabel();
        // rsi row 0's super-block, r9 row bytes, rdx the panel's super-block, r10 counts, r11
        // constants; rax walks the 16 rows.
        x.movLoad(RSI, param(W));
        x.movLoad(R9, param(ROW_BYTES));
        x.movLoad(R10, param(BLOCKS));
        x.movLoad(RDX, param(PANEL));
        x.movLoad(R11, param(CONSTS));
        x.bind(block);
        for (int run = 0; run < 4; run++) { // runs of 64 values: quads 16 run .. 16 run + 15
            x.mov(RAX, RSI);
            for (int r = 0; r < 16; r++) {
                if (q4) {
                    q4KRun(x, run, r);
                } else {
                    q6KRun(x, run, r);
                }
                x.addReg(RAX, R9);
            }
            transpose(x);
            for (int m = 0; m < 16; m++) {
                x.vmovdqu32Store(Mem.at(RDX, 64 * (16 * run + m)), m);
            }
        }
        scales(x, q4);
        scaleFactors(x, q4);
        x.add(RSI, q4 ? 144 : 210);
        x.add(RDX, Q8KGemmKernels.panelBlock(kind));
        x.dec(R10);
        x.jnz(block);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** Row {@code r}'s values 64 run .. 64 run + 63 of a block_q4_K as bytes into zmm r. */
    private static void q4KRun(Assembler x, int run, int r) {
        x.vbroadcasti64x4(r, Mem.at(RAX, 16 + 32 * run));
        x.vpsrlvw(r, r, Mem.at(R11, C_NIBBLE_SHIFT)); // upper half: the high nibbles
        x.vpandd(r, r, Mem.at(R11, C_0F));
    }

    /**
     * Row {@code r}'s values 64 run .. + 63 of a block_q6_K (0..63) into zmm r: half {@code run / 2};
     * run 2h the low nibbles of ql[64h .. 64h + 63] with qh bits 0-1 (first 32) and 2-3, run 2h + 1
     * the high nibbles with qh bits 4-5 and 6-7.
     */
    private static void q6KRun(Assembler x, int run, int r) {
        int h = run / 2;
        x.vbroadcasti64x4(16, Mem.at(RAX, 128 + 32 * h));
        x.vpsrlvw(16, 16, Mem.at(R11, C_QH_SHIFT)); // upper half: qh >> 2
        if (run % 2 == 0) {
            x.vpsllw(r, 16, 4);
            x.vpandd(r, r, Mem.at(R11, C_30));
            x.vmovdqu32Load(17, Mem.at(RAX, 64 * h));
        } else {
            x.vpandd(r, 16, Mem.at(R11, C_30));
            x.vmovdqu32Load(17, Mem.at(RAX, 64 * h));
            x.vpsrlw(17, 17, 4);
        }
        x.vpandd(17, 17, Mem.at(R11, C_0F)); // the ql nibbles
        x.vpord(r, r, 17);
    }

    /** The sub-block scales (Q4_K: and mins) of the 16 rows, transposed into the panel. */
    private static void scales(Assembler x, boolean q4) {
        if (q4) {
            x.vmovdqu32Load(30, Mem.at(R11, C_SCALE_A));
            x.vmovdqu32Load(31, Mem.at(R11, C_SCALE_H));
        }
        x.mov(RAX, RSI);
        for (int r = 0; r < 16; r++) {
            if (q4) {
                // get_scale_min_k4 on dword lanes: lane s < 8 scale s, 8 + s min s.
                x.vpmovzxbd(r, Mem.at(RAX, 4));
                x.vpermd(16, 30, r);
                x.vpsrlvd(16, 16, Mem.at(R11, C_SCALE_SHIFT));
                x.vpandd(16, 16, Mem.at(R11, C_SCALE_MASK));
                x.vpermd(17, 31, r);
                x.vpsrld(17, 17, 6);
                x.vpslld(17, 17, 4);
                x.vpandd(17, 17, Mem.at(R11, C_SCALE_HIGH));
                x.vpord(r, 16, 17);
            } else {
                x.vpmovsxbd(r, Mem.at(RAX, 192));
            }
            x.addReg(RAX, R9);
        }
        transpose(x);
        if (q4) {
            for (int s = 0; s < 8; s++) {
                x.vmovdqu32Store(Mem.at(RDX, Q8KGemmKernels.SCALES + 64 * s), s);
            }
            for (int p = 0; p < 4; p++) { // mins 2p and 2p + 1 as the low and high word of each lane
                x.vpslld(9 + 2 * p, 9 + 2 * p, 16);
                x.vpord(8 + 2 * p, 8 + 2 * p, 9 + 2 * p);
                x.vmovdqu32Store(Mem.at(RDX, Q8KGemmKernels.Q4_MINS + 64 * p), 8 + 2 * p);
            }
        } else {
            for (int s = 0; s < 16; s++) {
                x.vmovdqu32Store(Mem.at(RDX, Q8KGemmKernels.SCALES + 64 * s), s);
            }
        }
    }

    /** The rows' f16 d (and dmin) shifted into lane r one row at a time, converted to f32. */
    private static void scaleFactors(Assembler x, boolean q4) {
        x.mov(RAX, RSI);
        for (int r = 0; r < 16; r++) {
            if (q4) {
                x.vpbroadcastd(1, Mem.at(RAX, 0)); // d | dmin << 16
            } else {
                x.vpbroadcastw(1, Mem.at(RAX, 208)); // d in both words (a dword read would pass the block's end)
            }
            x.valignd(0, 1, 0, 1);
            x.addReg(RAX, R9);
        }
        x.vmovdqu32Load(2, Mem.at(R11, C_EVEN_WORDS));
        x.vpermw(3, 2, 0); // the 16 low words (d) in the lower half
        x.vcvtph2ps(4, 3);
        x.vmovdqu32Store(Mem.at(RDX, q4 ? Q8KGemmKernels.Q4_D : Q8KGemmKernels.Q6_D), 4);
        if (q4) {
            x.vmovdqu32Load(2, Mem.at(R11, C_ODD_WORDS));
            x.vpermw(3, 2, 0); // the high words (dmin)
            x.vcvtph2ps(4, 3);
            x.vmovdqu32Store(Mem.at(RDX, Q8KGemmKernels.Q4_DMIN), 4);
        }
    }

    /**
     * zmm0-15 transposed as a 16 × 16 matrix of dwords (lane m of zmm r to lane r of zmm m), through
     * zmm16-31: dwords and qwords interleaved within 128-bit lanes (each lane then holds a 4 × 4
     * block transposed), then 128-bit lanes gathered across registers in two {@code vshufi64x2} steps.
     */
    static void transpose(Assembler x) {
        for (int i = 0; i < 8; i++) {
            x.vpunpckldq(16 + 2 * i, 2 * i, 2 * i + 1);
            x.vpunpckhdq(17 + 2 * i, 2 * i, 2 * i + 1);
        }
        // u[4i + c], lane L: column 4L + c of rows 4i .. 4i + 3.
        for (int i = 0; i < 4; i++) {
            int t = 16 + 4 * i;
            x.vpunpcklqdq(4 * i, t, t + 2);
            x.vpunpckhqdq(4 * i + 1, t, t + 2);
            x.vpunpcklqdq(4 * i + 2, t + 1, t + 3);
            x.vpunpckhqdq(4 * i + 3, t + 1, t + 3);
        }
        for (int c = 0; c < 4; c++) {
            int s = 16 + 4 * c;
            x.vshufi64x2(s, c, 4 + c, 0x44); // lanes 0, 1 of rows 0-3 and 4-7
            x.vshufi64x2(s + 1, c, 4 + c, 0xEE); // lanes 2, 3
            x.vshufi64x2(s + 2, 8 + c, 12 + c, 0x44);
            x.vshufi64x2(s + 3, 8 + c, 12 + c, 0xEE);
        }
        for (int c = 0; c < 4; c++) {
            int s = 16 + 4 * c;
            x.vshufi64x2(c, s, s + 2, 0x88); // column c: lane 0 of each
            x.vshufi64x2(4 + c, s, s + 2, 0xDD); // column 4 + c: lane 1
            x.vshufi64x2(8 + c, s + 1, s + 3, 0x88);
            x.vshufi64x2(12 + c, s + 1, s + 3, 0xDD);
        }
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }

    /** The constant block, little-endian. */
    static byte[] constantBytes() {
        ByteBuffer b = ByteBuffer.allocate(C_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) {
            b.putShort(C_NIBBLE_SHIFT + 2 * i, (short) (i < 16 ? 0 : 4));
            b.putShort(C_QH_SHIFT + 2 * i, (short) (i < 16 ? 0 : 2));
            b.putShort(C_EVEN_WORDS + 2 * i, (short) (2 * i % 32));
            b.putShort(C_ODD_WORDS + 2 * i, (short) ((2 * i + 1) % 32));
        }
        for (int i = 0; i < 64; i++) {
            b.put(C_0F + i, (byte) 0x0F);
            b.put(C_30 + i, (byte) 0x30);
        }
        // get_scale_min_k4 on dword lanes of the 12 scale bytes, as KQuantKernels: lane s < 8 scale
        // s, 8 + s min s, ((p[A] >>> SHIFT) & MASK) | (((p[H] >>> 6) << 4) & HIGH).
        ints(b, C_SCALE_A, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11);
        ints(b, C_SCALE_H, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7);
        ints(b, C_SCALE_SHIFT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4);
        ints(b, C_SCALE_MASK, 63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15);
        ints(b, C_SCALE_HIGH, 0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48);
        return b.array();
    }

    private static void ints(ByteBuffer b, int at, int... v) {
        for (int i = 0; i < v.length; i++) {
            b.putInt(at + 4 * i, v[i]);
        }
    }
}
