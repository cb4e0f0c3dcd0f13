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
 * {@code q4_K_q8_K_gemm_16xT__avx512vnni} and {@code q6_K_q8_K_gemm_16xT__avx512vnni} (T = 1 to
 * {@value #MAX_TOKENS}): the prefill GEMM of llama.cpp's numerics for K-quant weights, a panel of 16
 * weight rows times T activation rows quantized to Q8_K, each (row, token) result bit for bit {@code
 * Q8KDotReference}'s. Lanes are weight rows, so no sum is ever reduced across lanes: per 4 values of
 * k, one load of the panel's 16 rows × 4 unsigned quants and, per token, {@code vpdpbusd acc_t, w,
 * [x_t + k]{1to16}} (the token's 4 int8 values broadcast from memory): 64 multiply-adds per
 * instruction, the weights loaded once for T tokens.
 *
 * <p>Per super-block of 256 values and token: each sub-block's exact dot product (8 {@code vpdpbusd}
 * for Q4_K's 32 values, 4 for Q6_K's 16) is multiplied by the rows' sub-block scales ({@code
 * vpmulld}) into the super-block's int32 {@code sumi}. Q6_K's quants are read as 0..63, so each
 * sub-block's accumulator starts at {@code -32 · bsum} (its activation sum, broadcast): {@code Σ
 * scale · (q − 32) · x} exactly as the reference. Q4_K's minimum term {@code summs = Σ_j min_j ·
 * bsum32_j} is four {@code vpdpwssd} of the rows' mins (word pairs) with the token's sums of 32
 * (word pairs, broadcast). Then, per lane, ggml's generic float steps in the reference's order and
 * without contraction: {@code sum += (d·dx)·sumi − (dmin·dx)·summs} (Q4_K), {@code sum +=
 * (d·dx)·sumi} (Q6_K). The integers are exact (|sumi| < 2^25), so only those steps round, each as
 * Java rounds it.
 *
 * <p>The panel (written by {@code Q8KPanelGemm}) holds per super-block, {@link #Q4_BLOCK} or
 * {@link #Q6_BLOCK} bytes: at 0 the quants, {@code [64 quads of k][16 rows][4 bytes]}; at {@link
 * #SCALES} the sub-block scales as int32 {@code [sub-block][16 rows]}; Q4_K then the mins at {@link
 * #Q4_MINS} ({@code [4 pairs][16 rows][2 int16]}), {@code d} and {@code dmin} as f32 at {@link #Q4_D}
 * and {@link #Q4_DMIN}; Q6_K {@code d} at {@link #Q6_D}. The activation, {@link #X_BLOCK} bytes per
 * (super-block, token): 256 int8 at 0, {@code -32 · bsum} of the 16 runs of 16 as int32 at {@link
 * #X_NEG32}, the 8 sums of runs of 32 as int16 at {@link #X_BS32}, the f32 scale at {@link #X_D};
 * a token's blocks are {@link #X_STEP} bytes apart, tokens {@link #X_BLOCK} bytes apart.
 *
 * <p>Parameter block (longs): {@link #W} (the panel), {@link #X} (the first token's first block),
 * {@link #X_STEP}, {@link #BLOCKS} (super-blocks per row), {@link #Y} (the first token's 16 floats),
 * {@link #Y_STEP} (bytes between tokens' outputs), {@link #TOKEN_BLOCKS} (how many runs of T
 * consecutive tokens, at least 1). Registers: zmm0..T-1 the sub-block accumulators, T..2T-1 the
 * {@code sumi}, 2T..3T-1 the float sums; zmm27-31 mins, dmin, d, weights, a temporary. System V,
 * one argument (the block in rdi); rbx is saved.
 */
public final class Q8KGemmKernels {
    /** Tokens per kernel call at most: 3 · 8 accumulators and 5 more registers of 32. */
    public static final int MAX_TOKENS = 8;
    /** Weight rows per panel: the lanes of a zmm. */
    public static final int ROWS = 16;

    /** Parameter block slots. */
    public static final int W = 0, X = 1, X_STEP = 2, BLOCKS = 3, Y = 4, Y_STEP = 5, TOKEN_BLOCKS = 6;
    /** Longs in a parameter block. */
    public static final int PARAMS = 7;

    /** Activation layout: bytes per (super-block, token) and where its parts start. */
    public static final int X_BLOCK = 384, X_NEG32 = 256, X_BS32 = 320, X_D = 336;

    /** Panel layout: the quants, then the sub-block scales; then the type's own parts. */
    public static final int SCALES = 4096;

    public static final int Q4_MINS = 4608, Q4_D = 4864, Q4_DMIN = 4928, Q4_BLOCK = 4992;
    public static final int Q6_D = 5120, Q6_BLOCK = 5184;

    /** The two kernel families. */
    public static final int Q4_K = 0, Q6_K = 1;

    private static final int MINS = 27, DMIN = 28, D = 29, WEIGHTS = 30, TMP = 31;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /** By family, then tokens − 1; linked on first use. */
    private final MethodHandle[][] kernels = new MethodHandle[2][MAX_TOKENS];

    private Q8KGemmKernels() {}

    /** The kernels when this CPU has AVX-512 BW and VNNI and native kernels are on, else {@code null}. */
    public static Q8KGemmKernels loadIfSupported() {
        if (!CpuFeatures.avx512Vnni()) {
            return null;
        }
        return CpuFeatures.loadOrNull("Q8_K GEMM", () -> {
            Q8KGemmKernels k = new Q8KGemmKernels();
            k.kernel(Q4_K, MAX_TOKENS); // map one now: a failure to map shows here, not in the first call
            return k;
        });
    }

    /** Bytes of one super-block of a panel of {@code kind}. */
    public static int panelBlock(int kind) {
        return kind == Q4_K ? Q4_BLOCK : Q6_BLOCK;
    }

    /**
     * Runs the {@code tokens}-token kernel of {@code kind} on the parameter block at {@code params};
     * the caller guarantees every size and address.
     */
    public void run(int kind, int tokens, long params) {
        ExecutableMemory.call(kernel(kind, tokens), params);
    }

    private MethodHandle kernel(int kind, int tokens) {
        MethodHandle h = kernels[kind][tokens - 1];
        if (h == null) {
            synchronized (this) {
                h = kernels[kind][tokens - 1];
                if (h == null) {
                    h = ExecutableMemory.link(code(kind, tokens), SIGNATURE);
                    kernels[kind][tokens - 1] = h;
                }
            }
        }
        return h;
    }

    /** The machine code of the {@code tokens}-token kernel of {@code kind}. */
    static byte[] code(int kind, int tokens) {
        if (kind != Q4_K && kind != Q6_K) {
            throw new IllegalArgumentException("Q8_K GEMM kernel " + kind);
        }
        if (tokens < 1 || tokens > MAX_TOKENS) {
            throw new IllegalArgumentException("tokens " + tokens + " not in 1.." + MAX_TOKENS);
        }
        Assembler x = new Assembler();
        int tokenBlock = x.newLabel();
        int superBlock = x.newLabel();
        x.push(RBX);
        // rsi panel, rdx activation, r8 its super-block step, r9 blocks, r10 y, r11 y step, rcx runs;
        // in the super-block loop rax walks the panel, rdi the activation, rbx counts.
        x.movLoad(RSI, param(W));
        x.movLoad(RDX, param(X));
        x.movLoad(R8, param(X_STEP));
        x.movLoad(R9, param(BLOCKS));
        x.movLoad(R10, param(Y));
        x.movLoad(R11, param(Y_STEP));
        x.movLoad(RCX, param(TOKEN_BLOCKS));
        x.bind(tokenBlock);
        for (int t = 0; t < tokens; t++) {
            x.vpxord(fsum(tokens, t), fsum(tokens, t), fsum(tokens, t));
        }
        x.mov(RAX, RSI);
        x.mov(RDI, RDX);
        x.mov(RBX, R9);
        x.bind(superBlock);
        if (kind == Q4_K) {
            q4KBlock(x, tokens);
        } else {
            q6KBlock(x, tokens);
        }
        x.add(RAX, panelBlock(kind));
        x.addReg(RDI, R8);
        x.dec(RBX);
        x.jnz(superBlock);
        for (int t = 0; t < tokens; t++) {
            x.vmovdqu32Store(Mem.at(R10, 0), fsum(tokens, t));
            x.addReg(R10, R11);
        }
        x.add(RDX, tokens * X_BLOCK);
        x.dec(RCX);
        x.jnz(tokenBlock);
        x.pop(RBX);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** Eight sub-blocks of 32 (scale and min each), then the float steps of ggml's q4_K dot. */
    private static void q4KBlock(Assembler x, int tokens) {
        for (int s = 0; s < 8; s++) {
            for (int t = 0; t < tokens; t++) {
                x.vpxord(t, t, t);
            }
            products(x, tokens, 8 * s, 8);
            scale(x, tokens, s);
        }
        // summs: min_j · (sum of the token's run of 32 j), two sub-blocks per vpdpwssd.
        for (int t = 0; t < tokens; t++) {
            x.vpxord(t, t, t);
        }
        for (int p = 0; p < 4; p++) {
            x.vmovdqu32Load(MINS, Mem.at(RAX, Q4_MINS + 64 * p));
            for (int t = 0; t < tokens; t++) {
                x.vpdpwssdBroadcast(t, MINS, xAt(t, X_BS32 + 4 * p));
            }
        }
        x.vmovupsLoad(D, Mem.at(RAX, Q4_D));
        x.vmovupsLoad(DMIN, Mem.at(RAX, Q4_DMIN));
        for (int t = 0; t < tokens; t++) {
            int sumi = sumi(tokens, t);
            x.vcvtdq2ps(sumi, sumi);
            x.vcvtdq2ps(t, t);
            x.vmulpsBroadcast(TMP, D, xAt(t, X_D)); // d·dx
            x.vmulps(sumi, sumi, TMP);
            x.vmulpsBroadcast(TMP, DMIN, xAt(t, X_D)); // dmin·dx
            x.vmulps(t, t, TMP);
            x.vsubps(sumi, sumi, t);
            x.vaddps(fsum(tokens, t), fsum(tokens, t), sumi);
        }
    }

    /** Sixteen sub-blocks of 16 (a signed scale each, quants offset by 32), then ggml's q6_K float steps. */
    private static void q6KBlock(Assembler x, int tokens) {
        for (int s = 0; s < 16; s++) {
            for (int t = 0; t < tokens; t++) {
                x.vpbroadcastd(t, xAt(t, X_NEG32 + 4 * s)); // −32 · Σ x: the offset of the quants
            }
            products(x, tokens, 4 * s, 4);
            scale(x, tokens, s);
        }
        x.vmovupsLoad(D, Mem.at(RAX, Q6_D));
        for (int t = 0; t < tokens; t++) {
            int sumi = sumi(tokens, t);
            x.vcvtdq2ps(sumi, sumi);
            x.vmulpsBroadcast(TMP, D, xAt(t, X_D)); // d·dx
            x.vmulps(sumi, sumi, TMP);
            x.vaddps(fsum(tokens, t), fsum(tokens, t), sumi);
        }
    }

    /** {@code quads} quads of k from quad {@code first}: one weight load, one vpdpbusd per token. */
    private static void products(Assembler x, int tokens, int first, int quads) {
        for (int q = first; q < first + quads; q++) {
            x.vmovdqu32Load(WEIGHTS, Mem.at(RAX, 64 * q));
            for (int t = 0; t < tokens; t++) {
                x.vpdpbusdBroadcast(t, WEIGHTS, xAt(t, 4 * q));
            }
        }
    }

    /** {@code sumi_t += acc_t · scale_s} (the first sub-block writes {@code sumi_t}). */
    private static void scale(Assembler x, int tokens, int s) {
        for (int t = 0; t < tokens; t++) {
            Mem scales = Mem.at(RAX, SCALES + 64 * s);
            if (s == 0) {
                x.vpmulld(sumi(tokens, t), t, scales);
            } else {
                x.vpmulld(TMP, t, scales);
                x.vpaddd(sumi(tokens, t), sumi(tokens, t), TMP);
            }
        }
    }

    private static int sumi(int tokens, int t) {
        return tokens + t;
    }

    private static int fsum(int tokens, int t) {
        return 2 * tokens + t;
    }

    private static Mem xAt(int t, int offset) {
        return Mem.at(RDI, t * X_BLOCK + offset);
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
