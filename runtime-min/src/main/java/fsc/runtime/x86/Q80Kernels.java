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
 * rows (GGUF layout, read in place) times {@code N} = 1..8 activation rows quantized to Q8_0, as
 * llama.cpp's CPU backend computes a Q4_0/Q8_0 matmul; {@code N} = 1 is the decode matvec, larger
 * {@code N} the prefill kernel (each weight block unpacked once for {@code N} tokens, same bits).
 *
 * <p>Lane {@code i} of every vector is weight row {@code i} of the group, so ggml's float step per
 * block ({@code sumf += sumi·dx·dy} for Q4_0, {@code sumf += sumi·(dx·dy)} for Q8_0) is a few
 * lane-wise instructions in ggml's order, and each row's result is bit for bit {@code Q80Dot}'s. Per
 * block the 16 rows' quants are loaded four rows to a register (row {@code 4k + j} in 128-bit lane
 * {@code k} of register {@code j}: one {@code vbroadcasti32x4}, three {@code vinserti32x4}), then a
 * 4 × 4 dword transpose per lane ({@code vpunpck*}, eight shuffles) leaves four bytes of row
 * {@code r} in dword lane {@code r}, as unsigned bytes: Q4_0 nibbles 0..15 ({@code vpandd}, {@code
 * vpsrlw 4}), Q8_0 bytes + 128 ({@code vpxord 0x80}). Then each token costs eight {@code vpdpbusd}
 * with the activation's four matching bytes broadcast from memory ({@code {1to16}}): the row sums
 * come out in their lanes with no reduction tree. The offset comes off exactly with the
 * activation's block sum ({@code -8 Σq} or {@code -128 Σq}, one broadcast {@code vpaddd}). The
 * sixteen f16 scales {@code dx} come in with one {@code vpgatherdd} (dword offsets {@code i ·
 * rowBytes}), {@code vpmovdw} and {@code vcvtph2ps}. Unpacking is shared by the call's tokens, so a
 * prefill call of eight tokens costs per token about a third of a decode call.
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
    public static final int MAX_TOKENS = 8;

    /**
     * The weight formats: GGUF's Q4_0 and Q8_0 rows read in place, and both repacked per group of
     * 16 rows ({@link #packedBlockBytes} a block: the 16 f16 scales, then the quants already in the
     * transposed order the kernel computes on; {@code quant.Q80Packed} writes them).
     */
    public static final int Q4_0 = 0, Q8_0 = 1, Q4_0_PACKED = 2, Q8_0_PACKED = 3;

    /**
     * Bytes of one block of a packed group of {@code format}'s source type: 16 scales (32 bytes),
     * then the quants, 64 bytes per four quant bytes of every row (four parts for Q4_0, eight for Q8_0).
     */
    public static int packedBlockBytes(int format) {
        return 32 + 64 * packedParts(format);
    }

    /** Parts of 64 bytes in a packed block: a row's quant bytes over four. */
    public static int packedParts(int format) {
        return format == Q4_0 || format == Q4_0_PACKED ? 4 : 8;
    }

    /** The packed format of a GGUF-layout format. */
    public static int packed(int format) {
        return format == Q4_0 ? Q4_0_PACKED : Q8_0_PACKED;
    }

    /** Where {@code Q80}'s layout keeps a block's parts (bytes; the layout's own constants). */
    private static final int X_NEG8 = 32, X_NEG128 = 36, X_D = 40;

    /** How many blocks ahead the packed kernel prefetches: two did best of 0-16 on Q4_0 at one thread. */
    private static final int PACKED_PREFETCH_BLOCKS = 2;

    /** Vector registers: see {@link #code}. */
    private static final int LO = 8, HI = 12, DX = 16, INDEX_REG = 17, MASK_REG = 18, RAW = 19, TMP = 23, SUM = 27;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /** Kernel handles by format and activation rows - 1. */
    private final MethodHandle[][] kernels = new MethodHandle[4][MAX_TOKENS];

    private Q80Kernels() {
        for (int f = 0; f < 4; f++) {
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
        return format == Q8_0 || format == Q8_0_PACKED ? 0x80808080L : 0x0F0F0F0FL;
    }

    /** Runs the kernel of {@code format} for {@code tokens} activation rows on the block at {@code params}. */
    public void run(int format, int tokens, long params) {
        ExecutableMemory.call(kernels[format][tokens - 1], params);
    }

    /**
     * The machine code. Registers: zmm0..N-1 the tokens' float sums; zmm8-11 and 12-15 the block's
     * quants as unsigned bytes, transposed so that lane r holds four bytes of row r (Q4_0: the low
     * nibbles of bytes 4i..4i+3 in 8 + i, the high in 12 + i; Q8_0: bytes 4i..4i+3 in 8 + i, 16 + 4i..
     * in 12 + i); zmm16 dx, zmm17 the gather offsets, zmm18 the byte mask, zmm19-22 the loads,
     * zmm23-26 the transpose, zmm27-28 the integer sums. rax, rbx, r13, rdi: rows 0, 4, 8, 12 of
     * the group at the current block; r10 rowBytes, r12 3·rowBytes; r11 the activation's block;
     * rbp counts blocks.
     */
    static byte[] code(int format, int tokens) {
        if (format < Q4_0 || format > Q8_0_PACKED || tokens < 1 || tokens > MAX_TOKENS) {
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
        x.vpbroadcastd(MASK_REG, param(MASK));
        x.vmovdqu32Load(INDEX_REG, Mem.at(RDI, INDEX));
        x.lea(R12, new Mem(R10, R10, 2, 0));
        x.push(R14); // the Y stride lives at [rsp] while r14 walks the next group for the prefetch
        boolean packed = format == Q4_0_PACKED || format == Q8_0_PACKED;
        boolean q40 = format == Q4_0 || format == Q4_0_PACKED;
        int blockBytes = packed ? packedBlockBytes(format) : q40 ? 18 : 34;
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
        x.lea(R14, new Mem(RSI, R10, 8, 0));
        x.lea(R14, new Mem(R14, R10, 8, 0)); // the next group: 16 rows on
        x.bind(block);
        if (packed) {
            // One sequential stream: the sixteen scales, then the quants in the order computed on.
            for (int at = 0; at < blockBytes; at += 64) {
                x.prefetcht1(Mem.at(RAX, PACKED_PREFETCH_BLOCKS * blockBytes + at));
            }
            x.vcvtph2ps(DX, Mem.at(RAX, 0));
            for (int i = 0; i < 4; i++) {
                x.vmovdqu32Load(q40 ? RAW + i : LO + i, Mem.at(RAX, 32 + 64 * i));
            }
            if (!q40) {
                for (int i = 0; i < 4; i++) {
                    x.vmovdqu32Load(HI + i, Mem.at(RAX, 32 + 64 * (4 + i)));
                }
            }
        } else {
            prefetchNextGroup(x, 16 * blockBytes);
            // dx of the sixteen rows (the gather clears k1, so it is set each time).
            x.kxnorw(1, 1, 1);
            x.vpgatherdd(DX, 1, RAX, INDEX_REG, 1, 0);
            x.vpmovdw(DX, DX);
            x.vcvtph2ps(DX, DX);
        }
        if (q40) {
            if (!packed) {
                for (int j = 0; j < 4; j++) {
                    loadFour(x, RAW + j, j, 2);
                }
                transpose(x, RAW, RAW);
            }
            for (int i = 0; i < 4; i++) {
                x.vpandd(LO + i, RAW + i, MASK_REG); // values 4i..4i+3
                x.vpsrlw(HI + i, RAW + i, 4);
                x.vpandd(HI + i, HI + i, MASK_REG); // values 16+4i..16+4i+3
            }
        } else {
            for (int half = 0; half < 2; half++) {
                int dst = half == 0 ? LO : HI;
                if (!packed) {
                    for (int j = 0; j < 4; j++) {
                        loadFour(x, RAW + j, j, 2 + 16 * half);
                    }
                    transpose(x, RAW, dst);
                }
                for (int i = 0; i < 4; i++) {
                    x.vpxord(dst + i, dst + i, MASK_REG);
                }
            }
        }
        for (int t = 0; t < tokens; t++) {
            int at = 48 * t;
            // Lane r: row r's sum over the block, two chains of four vpdpbusd each.
            x.vpxord(SUM, SUM, SUM);
            x.vpxord(SUM + 1, SUM + 1, SUM + 1);
            for (int i = 0; i < 4; i++) {
                x.vpdpbusdBroadcast(SUM, LO + i, Mem.at(R11, at + 4 * i));
                x.vpdpbusdBroadcast(SUM + 1, HI + i, Mem.at(R11, at + 16 + 4 * i));
            }
            x.vpaddd(SUM, SUM, SUM + 1);
            x.vpadddBroadcast(SUM, SUM, Mem.at(R11, at + (q40 ? X_NEG8 : X_NEG128)));
            x.vcvtdq2ps(SUM, SUM);
            if (q40) {
                x.vmulps(SUM, SUM, DX); // (float) sumi · dx
                x.vmulpsBroadcast(SUM, SUM, Mem.at(R11, at + X_D)); // · dy
            } else {
                x.vmulpsBroadcast(SUM + 1, DX, Mem.at(R11, at + X_D)); // dx · dy
                x.vmulps(SUM, SUM, SUM + 1); // (float) sumi · (dx · dy)
            }
            x.vaddps(t, t, SUM);
        }
        x.add(RAX, blockBytes);
        if (!packed) {
            x.add(RBX, blockBytes);
            x.add(R13, blockBytes);
            x.add(RDI, blockBytes);
        }
        x.addReg(R11, R15);
        x.dec(RBP);
        x.jnz(block);
        if (packed) {
            x.mov(RSI, RAX); // packed groups follow each other
        } else {
            // rdi ended at row 13: the next group starts 3 rows on.
            x.lea(RSI, new Mem(RDI, R12, 1, 0));
        }
        x.movLoad(R14, Mem.at(Assembler.RSP, 0));
        x.lea(RBP, new Mem(R14, R14, 2, 0)); // 3 · Y stride
        for (int t = 0; t < tokens; t++) {
            if (t == 0) {
                x.mov(R11, R8); // tokens 0-3 from here
            } else if (t == 4) {
                x.lea(R11, new Mem(R8, R14, 4, 0)); // tokens 4-7
            }
            Mem y =
                    switch (t % 4) {
                        case 0 -> Mem.at(R11, 0);
                        case 1 -> new Mem(R11, R14, 1, 0);
                        case 2 -> new Mem(R11, R14, 2, 0);
                        default -> new Mem(R11, RBP, 1, 0);
                    };
            x.vmovdqu32Store(y, t);
        }
        x.add(R8, 4 * ROWS);
        x.dec(RCX);
        x.jnz(group);
        x.pop(R15); // the saved Y stride, then the callee-saved registers
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

    /**
     * Prefetches into L2 the next {@code bytes} of the next group of rows (r14, advanced by {@code
     * bytes}): per block of the current group, the same share of the next one, so the next group's
     * rows (contiguous in memory) arrive as one sequential sweep instead of sixteen short
     * interleaved row streams, which the hardware prefetcher follows late on DRAM-sized weights
     * (1.1B Q4_0 decode on an AMD EPYC, one thread: 29.9–31.6 against 27.4–27.9 tok/s without).
     */
    private static void prefetchNextGroup(Assembler x, int bytes) {
        for (int at = 0; at < bytes; at += 64) {
            x.prefetcht1(Mem.at(R14, at));
        }
        x.prefetcht1(Mem.at(R14, bytes - 1));
        x.add(R14, bytes);
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

    /**
     * The 4 × 4 dword transpose within each 128-bit lane of registers {@code src..src+3} into {@code
     * dst..dst+3} (may be the same): lane {@code 4k + j} of {@code dst + i} becomes dword {@code i}
     * of lane k of {@code src + j}, that is bytes 4i..4i+3 of row 4k + j.
     */
    private static void transpose(Assembler x, int src, int dst) {
        x.vpunpckldq(TMP, src, src + 1);
        x.vpunpckhdq(TMP + 1, src, src + 1);
        x.vpunpckldq(TMP + 2, src + 2, src + 3);
        x.vpunpckhdq(TMP + 3, src + 2, src + 3);
        x.vpunpcklqdq(dst, TMP, TMP + 2);
        x.vpunpckhqdq(dst + 1, TMP, TMP + 2);
        x.vpunpcklqdq(dst + 2, TMP + 1, TMP + 3);
        x.vpunpckhqdq(dst + 3, TMP + 1, TMP + 3);
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
