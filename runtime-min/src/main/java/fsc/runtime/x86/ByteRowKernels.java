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
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The two passes over an int8 GEMM's activation bytes that {@link VnniGemmKernels}' callers make
 * before the tiles run, in machine code: {@code u8_row_sums__avx512vnni} (per row, the 16 int32
 * lanes of {@code vpdpbusd} against a vector of ones: lane {@code l} sums the row's bytes {@code 4l
 * .. 4l+3} of every 64-byte chunk) and {@code xor_80__avx512} (s8 to u8 offset by 128, 64 bytes a
 * step). Why machine code: their Vector API form (a 128-bit byte load widened to 512-bit ints and
 * summed across the loop) is the one piece of the VNNI path that C2 must scalarize, and on one CI
 * machine its compiled code boxed every vector, 24 KB a call for good; here nothing can box.
 *
 * <p>Parameter block (longs): {@link #A}, {@link #LDA}, {@link #ROWS}, {@link #CHUNKS} (64-byte
 * chunks per row, or vectors to flip), {@link #OUT} ({@code ROWS × 16} int32 for the row sums).
 * The caller adds each row's 16 lanes and the bytes after its last whole chunk.
 */
public final class ByteRowKernels {
    public static final int A = 0, LDA = 1, ROWS = 2, CHUNKS = 3, OUT = 4, CONSTS = 5;
    /** Longs in a parameter block. */
    public static final int PARAMS = 6;
    /** Bytes of one chunk: one zmm register. */
    public static final int CHUNK = 64;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle rowSums = ExecutableMemory.link(rowSumsCode(), SIGNATURE);
    private final MethodHandle flip = ExecutableMemory.link(flipCode(), SIGNATURE);
    /** Two dwords the kernels broadcast: 0x01010101 (the ones) and 0x80808080 (the sign bits). */
    private final MemorySegment consts = Arena.global().allocate(8, 64);

    private ByteRowKernels() {
        consts.set(ValueLayout.JAVA_INT, 0, 0x01010101);
        consts.set(ValueLayout.JAVA_INT, 4, 0x80808080);
    }

    /** The kernels when this CPU has AVX-512 VNNI and native kernels are on, else {@code null}. */
    public static ByteRowKernels loadIfSupported() {
        return CpuFeatures.avx512Vnni() ? CpuFeatures.loadOrNull("int8 row", ByteRowKernels::new) : null;
    }

    /**
     * Writes, for each of {@code rows} rows of u8 at {@code a} ({@code lda} bytes apart), the 16 lane
     * sums of its first {@code chunks} 64-byte chunks to {@code out} (64 bytes a row). The caller
     * guarantees the sizes: read and written unchecked.
     */
    public void rowSums(MemorySegment params, long a, long lda, int rows, long chunks, long out) {
        params.setAtIndex(ValueLayout.JAVA_LONG, A, a);
        params.setAtIndex(ValueLayout.JAVA_LONG, LDA, lda);
        params.setAtIndex(ValueLayout.JAVA_LONG, ROWS, rows);
        params.setAtIndex(ValueLayout.JAVA_LONG, CHUNKS, chunks);
        params.setAtIndex(ValueLayout.JAVA_LONG, OUT, out);
        params.setAtIndex(ValueLayout.JAVA_LONG, CONSTS, consts.address());
        ExecutableMemory.call(rowSums, params.address());
    }

    /** Flips the sign bit of every byte of {@code vectors} 64-byte vectors at {@code a}, unchecked. */
    public void flipSigns(MemorySegment params, long a, long vectors) {
        params.setAtIndex(ValueLayout.JAVA_LONG, A, a);
        params.setAtIndex(ValueLayout.JAVA_LONG, CHUNKS, vectors);
        params.setAtIndex(ValueLayout.JAVA_LONG, CONSTS, consts.address());
        ExecutableMemory.call(flip, params.address());
    }

    static byte[] rowSumsCode() {
        Assembler x = new Assembler();
        int row = x.newLabel();
        int chunk = x.newLabel();
        int store = x.newLabel();
        int done = x.newLabel();
        x.movLoad(RSI, param(A));
        x.movLoad(R8, param(LDA));
        x.movLoad(RCX, param(ROWS));
        x.movLoad(R9, param(CHUNKS));
        x.movLoad(RDX, param(OUT));
        x.movLoad(RAX, param(CONSTS)); // the block is not read again
        x.test(RCX);
        x.jz(done);
        x.bind(row);
        x.vpxord(0, 0, 0);
        x.mov(R11, RSI);
        x.mov(R10, R9);
        x.test(R10);
        x.jz(store);
        x.bind(chunk);
        x.vmovdqu32Load(1, Mem.at(R11, 0));
        x.vpdpbusdBroadcast(0, 1, Mem.at(RAX, 0)); // u8 · 1, four bytes into each lane
        x.add(R11, CHUNK);
        x.dec(R10);
        x.jnz(chunk);
        x.bind(store);
        x.vmovdqu32Store(Mem.at(RDX, 0), 0);
        x.add(RDX, 64);
        x.addReg(RSI, R8);
        x.dec(RCX);
        x.jnz(row);
        x.bind(done);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    static byte[] flipCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        int done = x.newLabel();
        x.movLoad(RSI, param(A));
        x.movLoad(RCX, param(CHUNKS));
        x.movLoad(RAX, param(CONSTS));
        x.test(RCX);
        x.jz(done);
        x.bind(loop);
        x.vmovdqu32Load(0, Mem.at(RSI, 0));
        x.vpxordBroadcast(0, 0, Mem.at(RAX, 4));
        x.vmovdqu32Store(Mem.at(RSI, 0), 0);
        x.add(RSI, CHUNK);
        x.dec(RCX);
        x.jnz(loop);
        x.bind(done);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
