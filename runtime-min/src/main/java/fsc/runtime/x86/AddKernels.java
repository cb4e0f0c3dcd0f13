package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.invoke.MethodHandle;

/**
 * {@code f32_add__avx512}: {@code y[i] = a[i] + b[i]}, sixteen floats a step, then the tail one by
 * one. One float add per element, as every Java form of the add, so the same bits.
 *
 * <p>Why machine code: a fresh JVM runs its first adds in the interpreter (a MiniLM first call's
 * twelve residual adds took 3-4 ms, microseconds warm; docs/EDGE.md §2).
 *
 * <p>Parameter block (longs): {@link #A}, {@link #B}, {@link #Y}, {@link #BLOCKS} (whole vectors),
 * {@link #TAIL} (floats after them). System V, one argument (the block in rdi).
 */
public final class AddKernels {
    /** Parameter block slots. */
    public static final int A = 0, B = 1, Y = 2, BLOCKS = 3, TAIL = 4;
    /** Longs in a parameter block. */
    public static final int PARAMS = 5;

    private final MethodHandle add;
    private final MethodHandle halfAdd;

    private AddKernels() {
        add = ExecutableMemory.link(code(), ExecutableMemory.KERNEL);
        halfAdd = ExecutableMemory.link(halfCode(), ExecutableMemory.KERNEL);
    }

    /** The kernel when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static AddKernels loadIfSupported() {
        return Shared.KERNELS;
    }

    private static final class Shared {
        static final AddKernels KERNELS = CpuFeatures.avx512() ? CpuFeatures.loadOrNull("add", AddKernels::new) : null;
    }

    /** Runs the add the block at {@code params} describes; the caller guarantees every size. */
    public void run(long params) {
        ExecutableMemory.call(add, params);
    }

    /**
     * The f16 add the block describes over {@link #BLOCKS} vectors of sixteen halves ({@link #TAIL}
     * is not read: the caller adds the rest); the caller guarantees every size.
     */
    public void runHalf(long params) {
        ExecutableMemory.call(halfAdd, params);
    }

    /**
     * {@code f16_add__avx512}: sixteen halves of each operand widened ({@code vcvtph2ps}, exact), one
     * float add, rounded back to nearest even ({@code vcvtps2ph}): per element {@code
     * floatToFloat16(float16ToFloat(a) + float16ToFloat(b))}, the generated loop's operations.
     */
    static byte[] halfCode() {
        Assembler x = new Assembler();
        x.movLoad(RSI, Mem.at(RDI, 8 * A));
        x.movLoad(RDX, Mem.at(RDI, 8 * B));
        x.movLoad(R8, Mem.at(RDI, 8 * Y));
        x.movLoad(RCX, Mem.at(RDI, 8 * BLOCKS));
        int vectors = x.newLabel();
        int done = x.newLabel();
        x.test(RCX);
        x.jz(done);
        x.bind(vectors);
        x.vcvtph2ps(0, Mem.at(RSI, 0));
        x.vcvtph2ps(1, Mem.at(RDX, 0));
        x.vaddps(0, 0, 1);
        x.vcvtps2phStore(Mem.at(R8, 0), 0);
        step(x, 32);
        x.jnz(vectors);
        x.bind(done);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** The machine code: rsi, rdx and r8 the elements of a, b and y a loop is at, rcx its count. */
    static byte[] code() {
        Assembler x = new Assembler();
        x.movLoad(RSI, Mem.at(RDI, 8 * A));
        x.movLoad(RDX, Mem.at(RDI, 8 * B));
        x.movLoad(R8, Mem.at(RDI, 8 * Y));
        int vectors = x.newLabel();
        int tail = x.newLabel();
        int scalar = x.newLabel();
        int done = x.newLabel();
        x.movLoad(RCX, Mem.at(RDI, 8 * BLOCKS));
        x.test(RCX);
        x.jz(tail);
        x.bind(vectors);
        x.vmovupsLoad(0, Mem.at(RSI, 0));
        x.vaddps(0, 0, Mem.at(RDX, 0));
        x.vmovdqu32Store(Mem.at(R8, 0), 0);
        step(x, 64);
        x.jnz(vectors);
        x.bind(tail);
        x.movLoad(RCX, Mem.at(RDI, 8 * TAIL));
        x.test(RCX);
        x.jz(done);
        x.bind(scalar);
        x.vmovssLoad(0, Mem.at(RSI, 0));
        x.vaddss(0, 0, Mem.at(RDX, 0));
        x.vmovssStore(Mem.at(R8, 0), 0);
        step(x, 4);
        x.jnz(scalar);
        x.bind(done);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** The three pointers on by {@code bytes}, then the count down (the caller's jnz tests it). */
    private static void step(Assembler x, int bytes) {
        x.add(RSI, bytes);
        x.add(RDX, bytes);
        x.add(R8, bytes);
        x.dec(RCX);
    }
}
