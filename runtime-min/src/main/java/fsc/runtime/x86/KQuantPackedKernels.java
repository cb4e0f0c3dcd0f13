package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RAX;
import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code q4_K_q8_K_16x1_packed__avx512vnni} and {@code q6_K_q8_K_16x1_packed__avx512vnni}: the
 * decode matvec of Q4_K and Q6_K weights repacked in groups of 16 rows ({@code quant.KQuantPacked}
 * writes them), times one activation row quantized to Q8_K, with lane {@code r} of every vector
 * being weight row {@code r} of the group, as {@link Q80Kernels}' packed kernels do for Q4_0. In
 * GGUF's layout ({@link KQuantKernels}) each row's super-block needs its scales unpacked, a {@code
 * vpermw} per 64 values to spread them and a cross-lane reduction of its sums: that work does not
 * scale with the weights' bytes and kept Q4_K_M decode instruction-bound, under llama.cpp's speed.
 * Packed, the scales are already bytes per row and the rows' sums come out in their lanes with no
 * reduction.
 *
 * <p>A packed Q4_K super-block of a group ({@link #BLOCK_BYTES}): at 0 the sixteen rows' f16 {@code d},
 * at 32 their f16 {@code dmin}, at {@link #SCALES} eight runs of 16 bytes (sub-block {@code j}'s
 * six-bit scale of row {@code r} at {@code 16j + r}), at {@link #MINS} four runs of 32 bytes (the
 * mins of sub-blocks {@code 2i} and {@code 2i + 1} of row {@code r} at {@code 32i + 2r} and {@code
 * + 1}: a word pair per row, for {@code vpdpwssd}), at {@link #QUANTS} 32 parts of 64 bytes: part
 * {@code 8g + c}'s dword {@code r} is row {@code r}'s quant bytes {@code 32g + 4c .. + 3}, whose low
 * nibbles are values {@code 64g + 4c ..} (sub-block {@code 2g}) and high nibbles values {@code 64g +
 * 32 + 4c ..} (sub-block {@code 2g + 1}), as in GGUF.
 *
 * <p>Per part: the low nibbles ({@code vpandd}) and the high ({@code vpsrlw}, {@code vpandd}) each
 * take one {@code vpdpbusd} with the activation's four matching bytes broadcast ({@code {1to16}})
 * into their sub-block's accumulator; the eight sub-block sums are multiplied by their scales
 * ({@code vpmovzxbd}, {@code vpmulld}) and added, and the mins term is four {@code vpdpwssd} of the
 * mins' word pairs with the activation's run-of-32 sums. The integers are exact, so their order
 * does not matter; the float step is {@link KQuantKernels}' ({@code sum += (d·dx)·sumi −
 * (dmin·dx)·summs} per super-block, in order), so each row's result is bit for bit {@code
 * Q8KDotReference}'s. About 200 vector instructions per 16 rows × 256 values against ~670 in GGUF's
 * layout.
 *
 * <p>A packed Q6_K super-block ({@link #Q6_BLOCK_BYTES}): at {@link #Q6_PARTS} sixteen runs of three
 * 64-byte parts in the order the kernel reads them, run {@code 8h + c} (half {@code h}, {@code c} =
 * 0-7) holding in dword {@code r} row {@code r}'s {@code qh} bytes {@code 32h + 4c .. + 3}, then its
 * {@code ql} bytes {@code 64h + 4c ..}, then {@code 64h + 32 + 4c ..} (read as three interleaved
 * streams, the parts ran at half the speed of GGUF's layout: the prefetchers follow one stream); at
 * {@link #Q6_SCALES} sixteen runs of 16 signed scales (sub-block {@code s} of row {@code r} at
 * {@code 16s + r}); at {@link #Q6_D} the rows' f16 {@code d}. About 360 vector instructions per 16
 * rows × 256 values against ~640 in GGUF's layout ({@link #q6KCode}).
 *
 * <p>The activation is {@link KQuantKernels}' layout ({@link KQuantKernels#X_BLOCK} bytes per
 * super-block), whose {@link KQuantKernels#X_PAIRS} holds the run sums as word pairs. Parameter
 * block (longs): {@link #W} (the first group's packed super-block 0), {@link #X}, {@link #BLOCKS}
 * (super-blocks per row), {@link #Y} (the first row's float), {@link #GROUPS} (at least 1), {@link
 * #NIBBLES} and {@link #HIGH_BITS} (the masks). System V, one argument (the block in rdi); no callee-saved register is used.
 */
public final class KQuantPackedKernels {
    /** Parameter block slots (longs). */
    public static final int W = 0, X = 1, BLOCKS = 2, Y = 3, GROUPS = 4, NIBBLES = 5, HIGH_BITS = 6;

    /** Longs in a parameter block. */
    public static final int PARAMS = 7;

    /** What {@link #NIBBLES} and {@link #HIGH_BITS} hold: the masks 0x0F and 0x30 in every byte of the low dword. */
    public static final long NIBBLE_MASK = 0x0F0F0F0FL, HIGH_BITS_MASK = 0x30303030L;

    /** Weight rows per group: the lanes of a float vector. */
    public static final int ROWS = 16;

    /** The two kernels. */
    public static final int Q4_K = 0, Q6_K = 1;

    /** Where a packed Q4_K super-block keeps its parts, and its size (37 cache lines). */
    public static final int D = 0, DMIN = 32, SCALES = 64, MINS = 192, QUANTS = 320, BLOCK_BYTES = 320 + 2048;

    /**
     * Where a packed Q6_K super-block keeps its parts, and its size: 3,360 bytes of data (16 rows of
     * 210) padded to 53 cache lines, so every part of every super-block is one aligned line.
     */
    public static final int Q6_PARTS = 0, Q6_SCALES = 3072, Q6_D = 3328, Q6_BLOCK_BYTES = 3392;

    /** Vector registers: see {@link #q4KCode} and {@link #q6KCode}. */
    private static final int SUM = 0, MASK_0F = 1, ACC = 2, SUMMS = 10, MASK_30 = 10, SUMI = 11, TMP = 12, PART = 16;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle q4K;
    private final MethodHandle q6K;

    private KQuantPackedKernels() {
        q4K = ExecutableMemory.link(q4KCode(), SIGNATURE);
        q6K = ExecutableMemory.link(q6KCode(), SIGNATURE);
    }

    /** Bytes of one packed super-block of a group for kernel {@code kind}. */
    public static int blockBytes(int kind) {
        return kind == Q4_K ? BLOCK_BYTES : Q6_BLOCK_BYTES;
    }

    /** The kernel when this CPU has AVX-512 BW and VNNI and native kernels are on, else {@code null}. */
    public static KQuantPackedKernels loadIfSupported() {
        return CpuFeatures.avx512Vnni() ? CpuFeatures.loadOrNull("packed Q4_K matvec", KQuantPackedKernels::new) : null;
    }

    /** Runs kernel {@code kind} on the block at {@code params}; the caller guarantees every size. */
    public void run(int kind, long params) {
        ExecutableMemory.call(kind == Q4_K ? q4K : q6K, params);
    }

    /**
     * The machine code. Registers: zmm0 the group's float sums, zmm1 the nibble mask, zmm2-9 the
     * eight sub-blocks' integer sums, zmm10 the mins term, zmm11 sumi, zmm12-15 the float step,
     * zmm16-31 eight parts' low and high nibbles in turn (so consecutive parts do not wait on each
     * other's registers). rsi the current packed super-block, rdx the activation's, r8 the group's
     * output, r9 counts super-blocks, rcx groups.
     */
    static byte[] q4KCode() {
        Assembler x = new Assembler();
        int group = x.newLabel();
        int block = x.newLabel();
        prologue(x, group, block);
        for (int j = 0; j < 8; j++) {
            x.vpxord(ACC + j, ACC + j, ACC + j);
        }
        for (int g = 0; g < 4; g++) {
            for (int c = 0; c < 8; c++) {
                Mem part = Mem.at(RSI, QUANTS + 64 * (8 * g + c));
                int lo = PART + 2 * (c % 8);
                int hi = lo + 1;
                x.vpandd(lo, MASK_0F, part); // values 64g + 4c .. + 3 of every row
                x.vpsrlw(hi, part, 4);
                x.vpandd(hi, hi, MASK_0F); // values 64g + 32 + 4c .. + 3
                x.vpdpbusdBroadcast(ACC + 2 * g, lo, Mem.at(RDX, 64 * g + 4 * c));
                x.vpdpbusdBroadcast(ACC + 2 * g + 1, hi, Mem.at(RDX, 64 * g + 32 + 4 * c));
            }
        }
        // sumi = Σ_j scale_j · sum_j, exact in int32 (at most 8 · 63 · 32 · 15 · 127).
        for (int j = 0; j < 8; j++) {
            x.vpmovzxbd(TMP + j % 4, Mem.at(RSI, SCALES + 16 * j));
            x.vpmulld(ACC + j, ACC + j, TMP + j % 4);
        }
        addTree(x);
        // summs = Σ_j min_j · (the activation's sum of sub-block j's 32 values), two sub-blocks a word pair.
        x.vpxord(SUMMS, SUMMS, SUMMS);
        for (int i = 0; i < 4; i++) {
            x.vpmovzxbw(TMP + i, Mem.at(RSI, MINS + 32 * i));
            x.vpdpwssdBroadcast(SUMMS, TMP + i, Mem.at(RDX, KQuantKernels.X_PAIRS + 4 * i));
        }
        // sum += (d·dx)·sumi − (dmin·dx)·summs, each step rounded as the reference rounds it.
        x.vcvtph2ps(TMP, Mem.at(RSI, D));
        x.vcvtph2ps(TMP + 1, Mem.at(RSI, DMIN));
        x.vmulps(TMP, TMP, Mem.at(RDX, KQuantKernels.X_D)); // d·dx (dx sixteen times there)
        x.vmulps(TMP + 1, TMP + 1, Mem.at(RDX, KQuantKernels.X_D)); // dmin·dx
        x.vcvtdq2ps(SUMI, ACC);
        x.vcvtdq2ps(SUMMS, SUMMS);
        x.vmulps(SUMI, SUMI, TMP);
        x.vmulps(SUMMS, SUMMS, TMP + 1);
        x.vsubps(SUMI, SUMI, SUMMS);
        x.vaddps(SUM, SUM, SUMI);
        epilogue(x, group, block, BLOCK_BYTES);
        return x.bytes();
    }

    /**
     * The Q6_K kernel. Per half of a super-block and part {@code c} (0-7), one {@code qh} part and
     * the two {@code ql} parts after it give four vectors of six-bit values
     * 0..63 (nibble | two high bits), each one {@code vpdpbusd} into the accumulator of its sub-block
     * of 16 values ({@code 4c..} of values {@code 0, 32, 64, 96} on in the half: sub-blocks {@code c
     * / 4}, {@code 2 + c / 4}, {@code 4 + c / 4}, {@code 6 + c / 4}); then per sub-block the
     * offset of 32 comes off exactly ({@code −32 · bsum}, from the activation) before the scale
     * multiplies. Registers: zmm0 the sums, zmm1 and zmm10 the masks 0x0F and 0x30, zmm2-9 the
     * half's eight sub-block sums, zmm11 sumi, zmm12-25 two parts' values in turn, zmm26-29 scales.
     */
    static byte[] q6KCode() {
        Assembler x = new Assembler();
        int group = x.newLabel();
        int block = x.newLabel();
        prologue(x, group, block);
        x.vpxord(SUMI, SUMI, SUMI);
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < 8; j++) {
                x.vpxord(ACC + j, ACC + j, ACC + j);
            }
            for (int c = 0; c < 8; c++) {
                int qh = TMP + 7 * (c % 2);
                int v0 = qh + 1, v1 = qh + 2, v2 = qh + 3, v3 = qh + 4, u = qh + 5, u2 = qh + 6;
                int run = Q6_PARTS + 192 * (8 * h + c);
                Mem qlA = Mem.at(RSI, run + 64);
                Mem qlB = Mem.at(RSI, run + 128);
                x.vmovdqu32Load(qh, Mem.at(RSI, run));
                x.vpsllw(v0, qh, 4); // qh bits 0-1 to 4-5
                x.vpandd(v0, v0, MASK_30);
                x.vpternlogd(v0, MASK_0F, qlA, 0xF8); // | low nibbles of ql part c
                x.vpsllw(v1, qh, 2); // bits 2-3
                x.vpandd(v1, v1, MASK_30);
                x.vpternlogd(v1, MASK_0F, qlB, 0xF8); // | low nibbles of ql part c + 8
                x.vpsrlw(u, qlA, 4);
                x.vpandd(v2, qh, MASK_30); // bits 4-5 in place
                x.vpternlogd(v2, u, MASK_0F, 0xF8); // | high nibbles of ql part c
                x.vpsrlw(v3, qh, 2); // bits 6-7
                x.vpandd(v3, v3, MASK_30);
                x.vpsrlw(u2, qlB, 4);
                x.vpternlogd(v3, u2, MASK_0F, 0xF8); // | high nibbles of ql part c + 8
                int at = 128 * h + 4 * c;
                x.vpdpbusdBroadcast(ACC + c / 4, v0, Mem.at(RDX, at));
                x.vpdpbusdBroadcast(ACC + 2 + c / 4, v1, Mem.at(RDX, at + 32));
                x.vpdpbusdBroadcast(ACC + 4 + c / 4, v2, Mem.at(RDX, at + 64));
                x.vpdpbusdBroadcast(ACC + 6 + c / 4, v3, Mem.at(RDX, at + 96));
            }
            // Σ_s scale_s · (sum_s − 32 · bsum_s), exact in int32.
            for (int j = 0; j < 8; j++) {
                int s = 8 * h + j;
                int scale = 26 + j % 4;
                x.vpadddBroadcast(ACC + j, ACC + j, Mem.at(RDX, KQuantKernels.X_NEG32 + 4 * s));
                x.vpmovsxbd(scale, Mem.at(RSI, Q6_SCALES + 16 * s));
                x.vpmulld(ACC + j, ACC + j, scale);
            }
            addTree(x);
            x.vpaddd(SUMI, SUMI, ACC);
        }
        // sum += (d·dx)·sumi.
        x.vcvtph2ps(TMP, Mem.at(RSI, Q6_D));
        x.vmulps(TMP, TMP, Mem.at(RDX, KQuantKernels.X_D));
        x.vcvtdq2ps(SUMI, SUMI);
        x.vmulps(SUMI, SUMI, TMP);
        x.vaddps(SUM, SUM, SUMI);
        epilogue(x, group, block, Q6_BLOCK_BYTES);
        return x.bytes();
    }

    /**
     * Loads the parameters (rsi the packed weights, r8 the outputs, rcx the groups, rax the
     * super-blocks per row, rdi from then on the activation), the masks, and binds {@code group}
     * (zmm0 cleared, rdx the activation's first super-block, r9 the count) and {@code block}.
     */
    private static void prologue(Assembler x, int group, int block) {
        x.movLoad(RSI, param(W));
        x.movLoad(R8, param(Y));
        x.movLoad(RCX, param(GROUPS));
        x.vpbroadcastd(MASK_0F, param(NIBBLES));
        x.vpbroadcastd(MASK_30, param(HIGH_BITS));
        x.movLoad(RAX, param(BLOCKS));
        x.movLoad(RDI, param(X));
        x.bind(group);
        x.vpxord(SUM, SUM, SUM);
        x.mov(RDX, RDI);
        x.mov(R9, RAX);
        x.bind(block);
    }

    /** Steps to the next super-block (packed super-blocks, then the next group's, follow each other), then stores a group. */
    private static void epilogue(Assembler x, int group, int block, int blockBytes) {
        x.add(RSI, blockBytes);
        x.add(RDX, KQuantKernels.X_BLOCK);
        x.dec(R9);
        x.jnz(block);
        x.vmovdqu32Store(Mem.at(R8, 0), SUM);
        x.add(R8, 4 * ROWS);
        x.dec(RCX);
        x.jnz(group);
        x.vzeroupper();
        x.ret();
    }

    /** zmm2 = the sum of zmm2-9, as a tree. */
    private static void addTree(Assembler x) {
        for (int step = 1; step < 8; step *= 2) {
            for (int j = 0; j < 8; j += 2 * step) {
                x.vpaddd(ACC + j, ACC + j, ACC + j + step);
            }
        }
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
