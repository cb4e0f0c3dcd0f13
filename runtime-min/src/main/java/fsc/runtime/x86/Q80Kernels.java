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
 * {@code q4_0_q8_0_16xN__avx512vnni} and {@code q8_0_q8_0_16xN__avx512vnni}: groups of 16 weight
 * rows (GGUF layout, read in place) times {@code N} = 1..4 activation rows quantized to Q8_0, as
 * llama.cpp's CPU backend computes a Q4_0/Q8_0 matmul; {@code N} = 1 is the decode matvec, larger
 * {@code N} the prefill kernel (each weight block unpacked once for {@code N} tokens, same bits).
 *
 * <p>Lane {@code i} of every float vector is weight row {@code i} of the group, so ggml's float
 * step per block ({@code sumf += sumi·dx·dy} for Q4_0, {@code sumf += sumi·(dx·dy)} for Q8_0) is a
 * few lane-wise instructions in ggml's order, and each row's result is bit for bit {@code
 * Q80Dot}'s. Per block the 16 rows' quants are loaded four rows to a register (row {@code 4k + j}
 * in 128-bit lane {@code k} of register {@code j}: one {@code vbroadcasti32x4}, three {@code
 * vinserti32x4}), as unsigned bytes: Q4_0 nibbles 0..15 ({@code vpandd}, {@code vpsrlw 4}), Q8_0
 * bytes + 128 ({@code vpxord 0x80}). {@code vpdpbusd} multiplies them with the activation's 16-byte
 * halves broadcast to every lane, the four partial sums of each row are added by a two-level
 * shuffle tree ({@code vshufps} 0x88/0xDD + {@code vpaddd}), which leaves row {@code 4k + j} in
 * lane {@code 4k + j}, and the offset comes off exactly with the activation's block sum ({@code
 * -8 Σq} or {@code -128 Σq}, one broadcast {@code vpaddd}). The sixteen f16 scales {@code dx} come
 * in with one {@code vpgatherdd} (dword offsets {@code i · rowBytes}), {@code vpmovdw} and {@code
 * vcvtph2ps}.
 *
 * <p>Parameter block (longs): {@link #W} (the group's first row), {@link #ROW_BYTES}, {@link #X}
 * (the first activation row's first block in {@code Q80}'s layout), {@link #X_STRIDE} (bytes from
 * one block to the next there), {@link #BLOCKS}, {@link #Y} (the first output float of the first
 * activation row), {@link #Y_STRIDE} (bytes between activation rows' outputs), {@link #GROUPS}
 * (groups of 16 rows, at least 1), {@link #MASK} (the byte constant, 0x0F or 0x80, in every byte
 * of the low dword), then at byte {@link #INDEX} the sixteen dword offsets {@code i · rowBytes}.
 * System V, one argument (the block in rdi); rbx, rbp and r12-r15 are saved.
 */
public final class Q80Kernels {
    /** Parameter block slots (longs). */
    public static final int W = 0, ROW_BYTES = 1, X = 2, X_STRIDE = 3, BLOCKS = 4, Y = 5, Y_STRIDE = 6;

    public static final int GROUPS = 7, MASK = 8;
    /** Byte offset of the gather offsets in the parameter block, and the block's size in bytes. */
    public static final int INDEX = 128, PARAM_BYTES = 192;

    /** Weight rows per group: the lanes of a float vector. */
    public static final int ROWS = 16;

    /** Most activation rows one call takes. */
    public static final int MAX_TOKENS = 4;

    /** The two weight formats. */
    public static final int Q4_0 = 0, Q8_0 = 1;

    /** Where {@code Q80}'s layout keeps a block's parts (bytes; the layout's own constants). */
    private static final int X_NEG8 = 32, X_NEG128 = 36, X_D = 40;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /** Kernel handles by format and activation rows - 1. */
    private final MethodHandle[][] kernels = new MethodHandle[2][MAX_TOKENS];

    private Q80Kernels() {
        for (int f = 0; f < 2; f++) {
            for (int t = 1; t <= MAX_TOKENS; t++) {
                kernels[f][t - 1] = ExecutableMemory.link(code(f, t), SIGNATURE);
            }
        }
    }

    /** The kernels when this CPU has AVX-512 BW and VNNI and native kernels are on, else {@code null}. */
    public static Q80Kernels loadIfSupported() {
        return CpuFeatures.avx512Vnni() ? CpuFeatures.loadOrNull("Q8_0 matvec", Q80Kernels::new) : null;
    }

    /** The byte that format {@code format} combines its quants with, repeated in a dword ({@link #MASK}). */
    public static long mask(int format) {
        return format == Q4_0 ? 0x0F0F0F0FL : 0x80808080L;
    }

    /** Runs the kernel of {@code format} for {@code tokens} activation rows on the block at {@code params}. */
    public void run(int format, int tokens, long params) {
        try {
            kernels[format][tokens - 1].invokeExact(params);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The machine code. Registers: zmm0..N-1 the tokens' float sums, zmm4..11 the unpacked quants
     * (register j's low half in 4 + 2j, high half in 5 + 2j), zmm12 dx, zmm13 the gather offsets,
     * zmm14 the byte mask, zmm15 a Q4_0 load, zmm16-17 the activation halves, zmm18-21 the integer
     * sums, zmm22-25 the tree. rax, rbx, r13, rdi: rows 0, 4, 8, 12 of the group at the current
     * block; r10 rowBytes, r12 3·rowBytes; r11 the activation's block; rbp counts blocks.
     */
    static byte[] code(int format, int tokens) {
        if ((format != Q4_0 && format != Q8_0) || tokens < 1 || tokens > MAX_TOKENS) {
            throw new IllegalArgumentException("Q8_0 kernel " + format + " for " + tokens + " rows");
        }
        Assembler x = new Assembler();
        int group = x.newLabel();
        int block = x.newLabel();
        x.push(RBX);
        x.push(RBP);
        x.push(R12);
        x.push(R13);
        x.push(R14);
        x.push(R15);
        // rsi W, r10 rowBytes, rdx X, r15 X stride, r9 blocks, r8 Y, r14 Y stride, rcx groups.
        x.movLoad(RSI, param(W));
        x.movLoad(R10, param(ROW_BYTES));
        x.movLoad(RDX, param(X));
        x.movLoad(R15, param(X_STRIDE));
        x.movLoad(R9, param(BLOCKS));
        x.movLoad(R8, param(Y));
        x.movLoad(R14, param(Y_STRIDE));
        x.movLoad(RCX, param(GROUPS));
        x.vpbroadcastd(14, param(MASK));
        x.vmovdqu32Load(13, Mem.at(RDI, INDEX));
        x.lea(R12, new Mem(R10, R10, 2, 0));
        int blockBytes = format == Q4_0 ? 18 : 34;
        x.bind(group);
        for (int t = 0; t < tokens; t++) {
            x.vpxord(t, t, t);
        }
        x.mov(RAX, RSI);
        x.lea(RBX, new Mem(RSI, R10, 4, 0));
        x.lea(R13, new Mem(RBX, R10, 4, 0));
        x.lea(RDI, new Mem(R13, R10, 4, 0));
        x.mov(R11, RDX);
        x.mov(RBP, R9);
        x.bind(block);
        // dx of the sixteen rows (the gather clears k1, so it is set each time).
        x.kxnorw(1, 1, 1);
        x.vpgatherdd(12, 1, RAX, 13, 1, 0);
        x.vpmovdw(12, 12);
        x.vcvtph2ps(12, 12);
        for (int j = 0; j < 4; j++) {
            int lo = 4 + 2 * j, hi = 5 + 2 * j;
            if (format == Q4_0) {
                loadFour(x, 15, j, 2);
                x.vpandd(lo, 15, 14);
                x.vpsrlw(hi, 15, 4);
                x.vpandd(hi, hi, 14);
            } else {
                loadFour(x, lo, j, 2);
                loadFour(x, hi, j, 18);
                x.vpxord(lo, lo, 14);
                x.vpxord(hi, hi, 14);
            }
        }
        for (int t = 0; t < tokens; t++) {
            int at = 48 * t;
            x.vbroadcasti32x4(16, Mem.at(R11, at));
            x.vbroadcasti32x4(17, Mem.at(R11, at + 16));
            for (int j = 0; j < 4; j++) {
                x.vpxord(18 + j, 18 + j, 18 + j);
                x.vpdpbusd(18 + j, 4 + 2 * j, 16);
                x.vpdpbusd(18 + j, 5 + 2 * j, 17);
            }
            // Register j's lane k holds row 4k + j's four partial sums; after the tree lane 4k + j
            // holds its total.
            pairSums(x, 22, 18, 19, 23);
            pairSums(x, 24, 20, 21, 25);
            pairSums(x, 22, 22, 24, 23);
            x.vpadddBroadcast(22, 22, Mem.at(R11, at + (format == Q4_0 ? X_NEG8 : X_NEG128)));
            x.vcvtdq2ps(22, 22);
            if (format == Q4_0) {
                x.vmulps(22, 22, 12); // (float) sumi · dx
                x.vmulpsBroadcast(22, 22, Mem.at(R11, at + X_D)); // · dy
            } else {
                x.vmulpsBroadcast(23, 12, Mem.at(R11, at + X_D)); // dx · dy
                x.vmulps(22, 22, 23); // (float) sumi · (dx · dy)
            }
            x.vaddps(t, t, 22);
        }
        x.add(RAX, blockBytes);
        x.add(RBX, blockBytes);
        x.add(R13, blockBytes);
        x.add(RDI, blockBytes);
        x.addReg(R11, R15);
        x.dec(RBP);
        x.jnz(block);
        // rdi ended at row 13: the next group starts 3 rows on.
        x.lea(RSI, new Mem(RDI, R12, 1, 0));
        x.lea(R11, new Mem(R14, R14, 2, 0));
        for (int t = 0; t < tokens; t++) {
            Mem y =
                    switch (t) {
                        case 0 -> Mem.at(R8, 0);
                        case 1 -> new Mem(R8, R14, 1, 0);
                        case 2 -> new Mem(R8, R14, 2, 0);
                        default -> new Mem(R8, R11, 1, 0);
                    };
            x.vmovdqu32Store(y, t);
        }
        x.add(R8, 4 * ROWS);
        x.dec(RCX);
        x.jnz(group);
        x.pop(R15);
        x.pop(R14);
        x.pop(R13);
        x.pop(R12);
        x.pop(RBP);
        x.pop(RBX);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** Sixteen bytes at {@code disp} of the current block of rows j, 4 + j, 8 + j, 12 + j into lanes 0-3. */
    private static void loadFour(Assembler x, int dst, int j, int disp) {
        x.vbroadcasti32x4(dst, rowAt(RAX, j, disp));
        x.vinserti32x4(dst, dst, rowAt(RBX, j, disp), 1);
        x.vinserti32x4(dst, dst, rowAt(R13, j, disp), 2);
        x.vinserti32x4(dst, dst, rowAt(RDI, j, disp), 3);
    }

    /** Byte {@code disp} of row {@code base + j} (j = 0..3) at the current block. */
    private static Mem rowAt(int base, int j, int disp) {
        return switch (j) {
            case 0 -> Mem.at(base, disp);
            case 1 -> new Mem(base, R10, 1, disp);
            case 2 -> new Mem(base, R10, 2, disp);
            default -> new Mem(base, R12, 1, disp);
        };
    }

    /** Per 128-bit lane {@code dst = [a0+a1, a2+a3, b0+b1, b2+b3]}; {@code tmp} is clobbered. */
    private static void pairSums(Assembler x, int dst, int a, int b, int tmp) {
        x.vshufps(tmp, a, b, 0xDD);
        x.vshufps(dst, a, b, 0x88);
        x.vpaddd(dst, dst, tmp);
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
