package fsc.runtime.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Heats the runtime's vector kernels on a daemon thread while a fresh JVM's early calls run their
 * scalar twins ({@link VectorWarmth}), so the model's own thread never runs the Vector API's
 * fallback: it neither pays the fallback's first-use costs (a cold JVM spends ~100 ms initialising
 * the Vector API classes and linking the lambdas of its fallback, then microseconds per vector
 * operation) nor waits for its own sampled runs (one in 32) to make C2 compile the kernels, which
 * kept MiniLM at 128 tokens on its scalar attention for ~20 calls. This thread calls
 * each kernel's vector code on small synthetic operands, timed, until the timing says C2 has
 * compiled it and the kernel's flag turns warm; the model thread then switches to the vector code.
 * Meanwhile the kernels it heats take no samples on the model's thread.
 *
 * <p>It runs only where there is a second CPU to run it on, and stops after {@value #HEAT_SECONDS}
 * s (the kernels then sample on the model's thread, as with one CPU). Synthetic operands are native
 * segments, as a model's are, so the type profiles C2 compiles from are the model's. {@code
 * -Dfsc.prewarm=false} turns it off; it is off with {@code -Dfsc.coldStart=false} too (nothing to
 * heat).
 */
public final class VectorPrewarm extends Thread {
    /** Wall-clock cap: C2 compiles the kernels within ~1 s of heating on an idle core. */
    static final int HEAT_SECONDS = 20;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final boolean ENABLED = !"false".equals(System.getProperty("fsc.prewarm"))
            && !"false".equals(System.getProperty("fsc.coldStart"))
            && Runtime.getRuntime().availableProcessors() > 1;
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile boolean heating;

    private VectorPrewarm() {
        super("fsc-vector-prewarm");
        setDaemon(true);
    }

    /**
     * Starts the heating thread once per process (where enabled; later calls start nothing) and
     * returns whether it is heating now. Called by a heated kernel when it would take its first
     * sample (run {@value VectorWarmth#FIRST_SAMPLE}, past a small model's first call), not at
     * start-up: on two CPUs a thread heating during the first call competes with the model's
     * thread and the JIT's, and made MiniLM's first call 1.5-2.5x slower.
     */
    static boolean begin() {
        if (ENABLED && STARTED.compareAndSet(false, true)) {
            heating = true;
            new VectorPrewarm().start();
        }
        return heating;
    }

    /** Whether the heating thread is still heating the kernels (they take no samples meanwhile). */
    static boolean heating() {
        return heating;
    }

    @Override
    public void run() {
        try {
            heat();
        } catch (RuntimeException | LinkageError | InterruptedException e) {
            // The kernels sample on the model's thread instead; the model's own calls report errors.
        } finally {
            heating = false;
        }
    }

    private static void heat() throws InterruptedException {
        long deadline = System.nanoTime() + HEAT_SECONDS * 1_000_000_000L;
        Operands o = new Operands(new SplittableRandom(515));
        while (System.nanoTime() < deadline) {
            long round = System.nanoTime();
            boolean any = false;
            if (!Attention.ROWS_WARMTH.warm()) {
                any = true;
                long start = System.nanoTime();
                o.rows();
                Attention.ROWS_WARMTH.timed(System.nanoTime() - start, o.rowScores());
            }
            if (!AttentionHeads.WARMTH.warm()) {
                any = true;
                long start = System.nanoTime();
                o.blocked();
                AttentionHeads.WARMTH.timed(System.nanoTime() - start, o.blockedScores());
            }
            if (!FloatMath.LAYER_NORM_WARMTH.warm()) {
                any = true;
                long start = System.nanoTime();
                o.layerNorm();
                FloatMath.LAYER_NORM_WARMTH.timed(System.nanoTime() - start, o.layerNormUnits());
            }
            if (!any) {
                return;
            }
            // Half the time idle: once the kernels are queued for C2, more runs only take CPU from
            // the compiler and the model's thread (two CPUs here).
            long spent = System.nanoTime() - round;
            Thread.sleep(Math.max(1, spent / 1_000_000));
        }
    }

    /**
     * Synthetic operands shaped like an encoder's: sequence-major q, k and v with an additive key
     * mask (the layout and mask exporters give), head size 32, and a 384-wide layer-norm row block.
     */
    private static final class Operands {
        private static final int HEADS = 2;
        private static final int D = 32;
        private static final int ROW_SQ = 4;
        private static final int ROW_SKV = 16;
        private static final int BLOCK_SQ = 24;
        private static final int BLOCK_SKV = 40;
        private static final int NORM_ROWS = 4;
        private static final int NORM_N = 384;
        private static final int LAYOUT =
                Attention.Q_SEQ_MAJOR | Attention.K_SEQ_MAJOR | Attention.V_SEQ_MAJOR | Attention.OUT_SEQ_MAJOR;

        private final MemorySegment q;
        private final MemorySegment k;
        private final MemorySegment v;
        private final MemorySegment out;
        private final MemorySegment mask;
        private final MemorySegment norm;
        private final MemorySegment gamma;
        private final MemorySegment beta;
        private final float[] scores = new float[BLOCK_SKV];

        Operands(SplittableRandom random) {
            int n = HEADS * BLOCK_SKV * D;
            Arena arena = Arena.ofAuto();
            q = filled(arena, n, random);
            k = filled(arena, n, random);
            v = filled(arena, n, random);
            out = arena.allocate(4L * n);
            mask = arena.allocate(4L * BLOCK_SKV); // zeros: every key attends
            norm = filled(arena, NORM_ROWS * NORM_N, random);
            gamma = filled(arena, NORM_N, random);
            beta = filled(arena, NORM_N, random);
        }

        void rows() {
            Attention.rowHeadsVector(
                    q,
                    k,
                    v,
                    mask,
                    false,
                    0,
                    0,
                    0,
                    1,
                    out,
                    HEADS,
                    HEADS,
                    ROW_SQ,
                    ROW_SKV,
                    D,
                    D,
                    0.125f,
                    0f,
                    Attention.NOT_CAUSAL,
                    LAYOUT,
                    scores,
                    0,
                    HEADS);
        }

        long rowScores() {
            return (long) HEADS * ROW_SQ * ROW_SKV;
        }

        void blocked() {
            AttentionHeads.heads(
                    q,
                    k,
                    v,
                    mask,
                    false,
                    0,
                    0,
                    0,
                    1,
                    out,
                    HEADS,
                    HEADS,
                    BLOCK_SQ,
                    BLOCK_SKV,
                    D,
                    D,
                    0.125f,
                    0f,
                    Attention.NOT_CAUSAL,
                    LAYOUT,
                    0,
                    HEADS,
                    false);
        }

        long blockedScores() {
            return (long) HEADS * BLOCK_SQ * BLOCK_SKV;
        }

        void layerNorm() {
            FloatMath.layerNormRows(norm, 0, norm, 0, NORM_ROWS, NORM_N, gamma, 0, beta, 0, 1e-5f, false);
        }

        long layerNormUnits() {
            return FloatMath.layerNormUnits(NORM_ROWS, NORM_N);
        }

        private static MemorySegment filled(Arena arena, int n, SplittableRandom random) {
            MemorySegment s = arena.allocate(4L * n);
            for (int i = 0; i < n; i++) {
                s.setAtIndex(F32, i, (float) random.nextDouble(-1, 1));
            }
            return s;
        }
    }
}
