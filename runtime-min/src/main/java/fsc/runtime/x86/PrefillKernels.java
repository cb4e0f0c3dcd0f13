package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R8;
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
 * {@code f32_prefill_8x32__avx512}: the prefill matmul's micro-kernel ({@code PrefillGemm.kernel8x2})
 * in machine code. Eight rows of a dequantized weight tile, row-major with a fixed row length of
 * {@link #KC} floats (so each row's value is a broadcast memory operand at a constant displacement),
 * times one packed panel of 32 tokens ({@code [k][32]}), continuing the sixteen running sums in the
 * output tile C. Per k: two panel loads and sixteen {@code vfmadd231ps acc, b, a{1to16}}, each sum
 * one FMA chain in k order: the Java kernel's operations in its order, so the same bits, but with no
 * range check on the eight scalar weight loads per k.
 *
 * <p>Parameter block (longs): {@link #A}, {@link #B}, {@link #C}, {@link #C_ROW} (bytes between
 * C's rows), {@link #K} (steps, at least one). System V, one argument (the block in rdi); rbx is saved.
 */
public final class PrefillKernels {
    /** Weight rows and tokens of the tile, and the weight tile's row length in floats. */
    public static final int MR = 8, NR = 32, KC = 256;

    /** Parameter block slots. */
    public static final int A = 0, B = 1, C = 2, C_ROW = 3, K = 4;
    /** Longs in a parameter block. */
    public static final int PARAMS = 5;

    private final MethodHandle tile;

    private PrefillKernels() {
        tile = ExecutableMemory.link(code(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    }

    /** The kernel when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static PrefillKernels loadIfSupported() {
        return CpuFeatures.avx512() ? CpuFeatures.loadOrNull("prefill GEMM", PrefillKernels::new) : null;
    }

    /** Runs the tile the block at {@code params} describes; the caller guarantees every size. */
    public void run(long params) {
        try {
            tile.invokeExact(params);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static byte[] code() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        x.push(RBX);
        // rsi A, rdx B, r8 C, r10 cRow, rcx k; C rows from rax (0-2), r11 (3-5), rbx (6-7).
        x.movLoad(RSI, param(A));
        x.movLoad(RDX, param(B));
        x.movLoad(R8, param(C));
        x.movLoad(R10, param(C_ROW));
        x.movLoad(RCX, param(K));
        x.mov(RAX, R8);
        x.lea(R11, Mem.at(R8, R10, 2));
        x.lea(R11, Mem.at(R11, R10, 1));
        x.lea(RBX, Mem.at(R11, R10, 2));
        x.lea(RBX, Mem.at(RBX, R10, 1));
        for (int r = 0; r < MR; r++) {
            for (int c = 0; c < 2; c++) {
                x.vmovdqu32Load(acc(r, c), row(r, 64 * c));
            }
        }
        x.bind(loop);
        x.vmovupsLoad(16, Mem.at(RDX, 0));
        x.vmovupsLoad(17, Mem.at(RDX, 64));
        for (int r = 0; r < MR; r++) {
            x.vfmadd231psBroadcast(acc(r, 0), 16, Mem.at(RSI, 4 * KC * r));
            x.vfmadd231psBroadcast(acc(r, 1), 17, Mem.at(RSI, 4 * KC * r));
        }
        x.add(RSI, 4);
        x.add(RDX, 4 * NR);
        x.dec(RCX);
        x.jnz(loop);
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
