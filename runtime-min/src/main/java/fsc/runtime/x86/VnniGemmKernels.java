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

/**
 * {@code qu8s8_gemm_{1..6}x64__avx512vnni}: register tiles of an exact int32 GEMM of unsigned-byte
 * activations by signed-byte weights, one {@code vpdpbusd} per 16 columns × 4 k of a row, with the
 * GEMM's epilogue on the registers before they are stored.
 *
 * <p>Operands (addresses of native memory, in a parameter block of longs, {@link #A} to {@link
 * #BIAS}):
 * <ul>
 *   <li>A: u8 rows {@code lda} bytes apart, {@code a[r · lda + 4q + i] = A[r, 4q + i]}; tiles follow
 *       each other ({@code rows · lda} bytes apart), so a row-major activation whose k is a multiple
 *       of 4 is read in place;
 *   <li>B: one panel of {@value #NR} columns by quads of k, {@code b[(q · NR + j) · 4 + i] = B[4q + i,
 *       j]} (s8): the four bytes one int32 lane multiplies are adjacent, as {@code vpdpbusd} reads them;
 *   <li>init: {@value #NR} int32 that every row's sums start from (the zero-point correction);
 *   <li>Y: rows {@code ldy} bytes apart, {@value #NR} int32 or f32 each;
 *   <li>with {@link #OFFSETS}: {@code rowSum} (int32 per row, tiles after each other) and {@code
 *       negOff} ({@value #NR} int32): {@code acc += rowSum[r] · negOff[j]}, wrapping;
 *   <li>with {@link #SCALE}: {@code y = f32(acc) · scale[j]} ({@value #NR} f32); with {@link #BIAS}
 *       also {@code + bias[j]}: each operation rounded as Java rounds it.
 * </ul>
 *
 * <p>Registers: zmm0–23 hold the {@code rows × 4} accumulators, zmm24–27 the quad's four B vectors,
 * zmm28–29 alternate as the broadcast of one row's four bytes of A. Per quad of a 6-row tile: four
 * B loads, six broadcasts and 24 {@code vpdpbusd}, 384 multiply-adds. The products of four u8·s8
 * pairs sum to at most 130,560 in magnitude, and {@code vpdpbusd} adds them without saturating, so
 * every sum is the exact (wrapping) int32 ONNX specifies. System V calling convention, one
 * argument (the block in rdi); rbx, rbp and r12–r15 are saved; every vector register is
 * caller-saved there.
 */
public final class VnniGemmKernels {
    /** Rows of the widest tile: 24 accumulators, 4 B vectors and 2 broadcasts use 30 of 32 registers. */
    public static final int MR = 6;
    /** Columns per panel: four vectors of 16 int32 lanes. */
    public static final int NR = 64;
    /** Bytes of one quad of k of a packed panel. */
    public static final int QUAD_BYTES = NR * 4;

    /** Epilogue flags. */
    public static final int OFFSETS = 1, SCALE = 2, BIAS = 4;

    /** The parameter block's slots (longs). */
    public static final int A = 0, LDA = 1, B = 2, QUADS = 3, TILES = 4, INIT = 5, Y = 6, LDY = 7;

    public static final int ROW_SUM = 8, NEG_OFF = 9, SCALES = 10, BIASES = 11;
    /** Longs in a parameter block. */
    public static final int PARAMS = 12;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /** By flags, then rows; made on first use (most models need two or three of the 48). */
    private final MethodHandle[][] kernels = new MethodHandle[8][MR];

    private VnniGemmKernels() {}

    /** The kernels when this CPU has AVX-512 VNNI and native kernels are on, else {@code null}. */
    public static VnniGemmKernels loadIfSupported() {
        if (!CpuFeatures.avx512Vnni()) {
            return null;
        }
        return CpuFeatures.loadOrNull("int8 GEMM", () -> {
            VnniGemmKernels k = new VnniGemmKernels();
            k.kernel(MR, 0); // map one now: a failure to map shows here, not in the first call
            return k;
        });
    }

    /**
     * Multiplies {@code tiles} consecutive tiles of {@code rows} rows of A by one panel of B, as the
     * parameter block at {@code params} describes (see the class comment). The caller guarantees the
     * sizes: the kernel reads and writes what they say, unchecked. {@code tiles} is at least 1.
     */
    public void run(int rows, int flags, long params) {
        ExecutableMemory.call(kernel(rows, flags), params);
    }

    private MethodHandle kernel(int rows, int flags) {
        MethodHandle h = kernels[flags][rows - 1];
        if (h == null) {
            synchronized (this) {
                h = kernels[flags][rows - 1];
                if (h == null) {
                    h = ExecutableMemory.link(code(rows, flags), SIGNATURE);
                    kernels[flags][rows - 1] = h;
                }
            }
        }
        return h;
    }

    /** The machine code of the {@code rows}-row kernel with epilogue {@code flags}. */
    static byte[] code(int rows, int flags) {
        if (rows < 1 || rows > MR) {
            throw new IllegalArgumentException("a tile has 1 to " + MR + " rows, not " + rows);
        }
        if (flags < 0 || flags > 7 || (flags & BIAS) != 0 && (flags & SCALE) == 0) {
            throw new IllegalArgumentException("epilogue flags " + flags + ": a bias needs a scale");
        }
        Assembler x = new Assembler();
        int tile = x.newLabel();
        int quad = x.newLabel();
        int epilogue = x.newLabel();
        int[] saved = {RBX, RBP, R12, R13, R14, R15};
        for (int r : saved) {
            x.push(r);
        }
        // r13 A tile, r9 lda, rsi B, rdx quads, r10 tiles, rcx init, r8 Y tile, r14 ldy, r15 row sums.
        x.movLoad(R13, param(A));
        x.movLoad(R9, param(LDA));
        x.movLoad(RSI, param(B));
        x.movLoad(RDX, param(QUADS));
        x.movLoad(R10, param(TILES));
        x.movLoad(RCX, param(INIT));
        x.movLoad(R8, param(Y));
        x.movLoad(R14, param(LDY));
        x.movLoad(R15, param(ROW_SUM));
        x.bind(tile);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 4; c++) {
                x.vmovdqu32Load(acc(r, c), Mem.at(RCX, 64 * c));
            }
        }
        threeRowBases(x, R13, R9); // rax rows 0-2, r11 rows 3-5 of A
        x.mov(RBX, RSI);
        x.mov(R12, RDX);
        x.test(R12);
        x.jz(epilogue);
        x.bind(quad);
        for (int c = 0; c < 4; c++) {
            x.vmovdqu32Load(24 + c, Mem.at(RBX, 64 * c));
        }
        for (int r = 0; r < rows; r++) {
            int bcast = 28 + (r & 1);
            x.vpbroadcastd(bcast, row(r, R9, 0));
            for (int c = 0; c < 4; c++) {
                x.vpdpbusd(acc(r, c), bcast, 24 + c);
            }
        }
        x.add(RAX, 4);
        if (rows > 3) {
            x.add(R11, 4);
        }
        x.add(RBX, QUAD_BYTES);
        x.dec(R12);
        x.jnz(quad);
        x.bind(epilogue);
        if ((flags & OFFSETS) != 0) {
            x.movLoad(RBX, param(NEG_OFF));
            for (int r = 0; r < rows; r++) {
                x.vpbroadcastd(28, Mem.at(R15, 4 * r));
                for (int c = 0; c < 4; c++) {
                    x.vpmulld(29, 28, Mem.at(RBX, 64 * c));
                    x.vpaddd(acc(r, c), acc(r, c), 29);
                }
            }
        }
        if ((flags & SCALE) != 0) {
            x.movLoad(R12, param(SCALES));
            if ((flags & BIAS) != 0) {
                x.movLoad(RBP, param(BIASES));
            }
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < 4; c++) {
                    x.vcvtdq2ps(acc(r, c), acc(r, c));
                    x.vmulps(acc(r, c), acc(r, c), Mem.at(R12, 64 * c));
                    if ((flags & BIAS) != 0) {
                        x.vaddps(acc(r, c), acc(r, c), Mem.at(RBP, 64 * c));
                    }
                }
            }
        }
        threeRowBases(x, R8, R14); // rax rows 0-2, r11 rows 3-5 of Y
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 4; c++) {
                x.vmovdqu32Store(row(r, R14, 64 * c), acc(r, c));
            }
        }
        advance(x, R8, R14, rows);
        advance(x, R13, R9, rows);
        x.add(R15, 4 * rows);
        x.dec(R10);
        x.jnz(tile);
        for (int i = saved.length - 1; i >= 0; i--) {
            x.pop(saved[i]);
        }
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }

    /** rax = base (rows 0-2), r11 = base + 3 · stride (rows 3-5). */
    private static void threeRowBases(Assembler x, int base, int stride) {
        x.mov(RAX, base);
        x.lea(R11, Mem.at(base, stride, 2));
        x.lea(R11, Mem.at(R11, stride, 1));
    }

    /** Row {@code r} of rax/r11's rows: {@code [rax + stride · r]}, {@code [r11 + stride · (r - 3)]}. */
    private static Mem row(int r, int stride, int disp) {
        int base = r < 3 ? RAX : R11;
        int step = r % 3;
        return step == 0 ? Mem.at(base, disp) : new Mem(base, stride, step, disp);
    }

    /** {@code reg += rows · stride}. */
    private static void advance(Assembler x, int reg, int stride, int rows) {
        for (int bit = 4; bit >= 1; bit >>= 1) {
            if ((rows & bit) != 0) {
                x.lea(reg, Mem.at(reg, stride, bit));
            }
        }
    }

    private static int acc(int row, int col) {
        return 4 * row + col;
    }
}
