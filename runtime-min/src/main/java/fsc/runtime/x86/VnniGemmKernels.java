package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R12;
import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RAX;
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
 * activations by signed-byte weights, one {@code vpdpbusd} per 16 columns × 4 k of a row.
 *
 * <p>Operands, as {@code Int8GemmVnni} lays them out:
 * <ul>
 *   <li>A: u8 rows, {@code a[r · lda + 4q + i] = A[r, 4q + i]};
 *   <li>B: one panel of {@value #NR} columns by quads, {@code b[(q · NR + j) · 4 + i] = B[4q + i, j]}
 *       (s8): the four bytes one int32 lane multiplies are adjacent, as {@code vpdpbusd} reads them;
 *   <li>init: {@value #NR} int32 that every row's sums start from (the zero-point correction);
 *   <li>C: per tile {@value #MR} × {@value #NR} int32 in two halves of 32 columns, {@code c[h · MR · 32
 *       + r · 32 + j]} for column {@code 32h + j}: the tile layout of {@code Int8Gemm}'s epilogue.
 * </ul>
 *
 * <p>Registers: zmm0–23 hold the {@code rows × 4} accumulators, zmm24–27 the quad's four B vectors,
 * zmm28–29 alternate as the broadcast of one row's four bytes of A. Per quad of a 6-row tile: four
 * B loads, six broadcasts and 24 {@code vpdpbusd}, 384 multiply-adds. The products of four u8·s8
 * pairs sum to at most 130,560 in magnitude, and {@code vpdpbusd} adds them without saturating, so
 * every sum is the exact (wrapping) int32 ONNX specifies.
 *
 * <p>A's rows are {@code lda} bytes apart, each quad of k four adjacent bytes, so a row-major u8
 * activation whose k is a multiple of 4 is read in place; tiles follow each other ({@code rows · lda}
 * bytes apart). The System V calling convention: {@code (a rdi, b rsi, quads | tiles << 32 rdx,
 * init rcx, c r8, lda r9)}; rbx and r12 are saved; every vector register is caller-saved there.
 */
public final class VnniGemmKernels {
    /** Rows of the widest tile: 24 accumulators, 4 B vectors and 2 broadcasts use 30 of 32 registers. */
    public static final int MR = 6;
    /** Columns per panel: four vectors of 16 int32 lanes. */
    public static final int NR = 64;
    /** Bytes of one quad of k of a packed panel. */
    public static final int QUAD_BYTES = NR * 4;

    /** Six integers: the operands are raw addresses of native memory, so no segment is made per call. */
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG);

    private final MethodHandle[] byRows = new MethodHandle[MR];

    private VnniGemmKernels() {
        for (int rows = 1; rows <= MR; rows++) {
            byRows[rows - 1] = ExecutableMemory.link(code(rows), SIGNATURE);
        }
    }

    /** The kernels when this CPU has AVX-512 VNNI and native kernels are on, else {@code null}. */
    public static VnniGemmKernels loadIfSupported() {
        return CpuFeatures.avx512Vnni() ? new VnniGemmKernels() : null;
    }

    /**
     * Multiplies {@code tiles} consecutive tiles of {@code rows} rows of A (row stride {@code lda}
     * bytes) by one panel of B, {@code quads} quads of k deep, into {@code c}; every argument but the
     * counts is the address of native memory laid out as the class comment says. The caller
     * guarantees the sizes: the kernel reads and writes what they say, unchecked.
     */
    public void run(int rows, long a, long lda, long b, int quads, int tiles, long init, long c) {
        if (tiles < 1 || quads < 0) {
            throw new IllegalArgumentException("tiles " + tiles + ", quads " + quads);
        }
        try {
            byRows[rows - 1].invokeExact(a, b, (long) quads | (long) tiles << 32, init, c, lda);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The machine code of the {@code rows}-row kernel. */
    static byte[] code(int rows) {
        if (rows < 1 || rows > MR) {
            throw new IllegalArgumentException("a tile has 1 to " + MR + " rows, not " + rows);
        }
        Assembler x = new Assembler();
        int tile = x.newLabel();
        int quad = x.newLabel();
        int store = x.newLabel();
        x.push(RBX);
        x.push(R12);
        x.mov(R10, RDX);
        x.shr(R10, 32); // tiles
        x.mov32(RDX, RDX); // quads
        x.bind(tile);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 4; c++) {
                x.vmovdqu32Load(acc(r, c), Mem.at(RCX, 64 * c));
            }
        }
        // Rows 0-2 are addressed from rax, rows 3-5 from r11 = rax + 3 lda: [base + lda · 0, 1 or 2].
        x.mov(RAX, RDI);
        x.lea(R11, Mem.at(RDI, R9, 2));
        x.lea(R11, Mem.at(R11, R9, 1));
        x.mov(RBX, RSI);
        x.mov(R12, RDX);
        x.test(R12);
        x.jz(store);
        x.bind(quad);
        for (int c = 0; c < 4; c++) {
            x.vmovdqu32Load(24 + c, Mem.at(RBX, 64 * c));
        }
        for (int r = 0; r < rows; r++) {
            int bcast = 28 + (r & 1);
            x.vpbroadcastd(bcast, rowQuad(r));
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
        x.bind(store);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 4; c++) {
                x.vmovdqu32Store(Mem.at(R8, (c / 2) * MR * 32 * 4 + r * 32 * 4 + (c % 2) * 64), acc(r, c));
            }
        }
        x.add(R8, MR * NR * 4);
        for (int bit = 4; bit >= 1; bit >>= 1) { // rdi += rows · lda
            if ((rows & bit) != 0) {
                x.lea(RDI, Mem.at(RDI, R9, bit));
            }
        }
        x.dec(R10);
        x.jnz(tile);
        x.pop(R12);
        x.pop(RBX);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** Row {@code r}'s current quad of A: {@code [rax + lda · r]} for rows 0-2, {@code [r11 + lda · (r - 3)]} after. */
    private static Mem rowQuad(int r) {
        int base = r < 3 ? RAX : R11;
        int step = r % 3;
        return step == 0 ? Mem.at(base, 0) : Mem.at(base, R9, step);
    }

    private static int acc(int row, int col) {
        return 4 * row + col;
    }
}
