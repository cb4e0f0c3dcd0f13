package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
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
 */
public final class FmaGemmKernels {
    /** Rows and columns of the tile. */
    public static final int MR = 8, NR = 32;

    /** How the tile starts. */
    public static final int ZERO = 0, ACC = 1, BIAS = 2;

    /** Parameter block slots. */
    public static final int A = 0, B = 1, B_ROW = 2, C = 3, C_ROW = 4, K = 5, BIAS_ROW = 6;
    /** Longs in a parameter block. */
    public static final int PARAMS = 7;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle[] byStart = new MethodHandle[3];

    private FmaGemmKernels() {
        for (int start = ZERO; start <= BIAS; start++) {
            byStart[start] = ExecutableMemory.link(code(start), SIGNATURE);
        }
    }

    /** The kernels when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static FmaGemmKernels loadIfSupported() {
        return CpuFeatures.avx512() ? CpuFeatures.loadOrNull("f32 GEMM", FmaGemmKernels::new) : null;
    }

    /** Runs the tile the block at {@code params} describes; the caller guarantees every size. */
    public void run(int start, long params) {
        try {
            byStart[start].invokeExact(params);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
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
