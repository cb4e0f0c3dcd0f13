package fsc.runtime.kernels;

/**
 * Whether one vector kernel runs as C2-compiled code yet, for the kernels that have a scalar twin
 * for a fresh JVM's first calls (docs/EDGE.md §2). Until C2 has compiled a kernel with its vector
 * intrinsics, every vector operation in it runs the Vector API's Java fallback (an array and a
 * lambda per lane-wise op), hundreds of times slower than the plain scalar loops that the
 * interpreter runs and C1 compiles within milliseconds. So a cold kernel runs its scalar twin,
 * which does the vector code's arithmetic in the vector code's order (same bits: switching mid-model
 * changes nothing), and from run {@value #FIRST_SAMPLE} on one run in {@value #SAMPLE_EVERY} runs the vector code, timed, so C2 sees it
 * get hot and compiles it; the first timed run under {@code warmNsPerUnit} nanoseconds per unit of
 * work (as the kernel counts it: vector FMAs, scores, elements) switches every later run to the
 * vector code.
 *
 * <p>One instance per kernel, in a {@code static final} field: JIT state is per method, and the
 * flag only ever goes from cold to warm. {@code -Dfsc.coldStart=false} starts every kernel warm
 * (the vector code from the first call, as before the scalar twins existed).
 *
 * <p>Use:
 *
 * <pre>{@code
 * if (!W.warm() && !W.sample()) {
 *     scalarTwin(...);
 * } else {
 *     long start = W.warm() ? 0 : System.nanoTime();
 *     vectorCode(...);
 *     if (start != 0) W.timed(System.nanoTime() - start, units);
 * }
 * }</pre>
 */
public final class VectorWarmth {
    /** One cold run in this many runs the vector code (a cold vector run costs ~16 scalar ones). */
    static final int SAMPLE_EVERY = 32;

    /**
     * No samples before this run: a process's first vector code pays the Vector API's one-time
     * costs (~50-100 ms of class initialisation and lambda linking in the fallback), so a one-shot
     * process (fresh JVM, one result, exit) that stays on the scalar twins never pays them. 128 runs
     * is past the first call of a small model (MiniLM at 16 tokens: 72 attention heads, 13 layer
     * norms).
     */
    static final int FIRST_SAMPLE = 128;

    /**
     * Timed samples after which a kernel counts as warm whatever they measured: a kernel whose
     * runs are too short to time (a few vector operations against {@code nanoTime}'s ~25 ns) must
     * not stay cold for good, sampling its vector code once in 32 runs in whatever tier that rare
     * code is in (the fallback allocates: a steady state would never be reached). From then on
     * every run takes the vector code, as before the twins existed, and C2 compiles it soon.
     */
    static final int MAX_SAMPLES = 64;

    /**
     * {@code -Dfsc.coldStart}: unset starts every kernel on its twin and moves it to the vector code
     * as above; {@code false} starts every kernel on its vector code; {@code always} keeps every
     * kernel on its twin for the whole process, never sampling and never heating. That is for a
     * process that makes one call with C1 only ({@code -XX:TieredStopAtLevel=1}: the packaged
     * launcher's runs), where the vector code would only ever run as the API's allocating Java
     * fallback.
     */
    private static final String COLD_START_MODE = System.getProperty("fsc.coldStart", "");

    private static final boolean COLD_START = !"false".equals(COLD_START_MODE);
    private static final boolean ALWAYS_COLD = "always".equals(COLD_START_MODE);

    private final double warmNsPerUnit;
    private final int twinRuns;
    private final boolean prewarmed;
    private volatile boolean warm = !COLD_START;
    /** Racy on purpose: it only spreads the samples, and a lost increment costs nothing. */
    private int runs;
    /** Timed samples so far (racy as {@link #runs}). */
    private int samples;

    /**
     * A kernel whose compiled vector code takes well under {@code warmNsPerUnit} ns per unit of its
     * work, and its Java fallback well over (for a vector FMA: compiled ~0.2–2 ns even on a loaded
     * machine, the fallback 100+).
     */
    public VectorWarmth(double warmNsPerUnit) {
        this(warmNsPerUnit, Integer.MAX_VALUE);
    }

    private VectorWarmth(double warmNsPerUnit, int twinRuns) {
        this(warmNsPerUnit, twinRuns, false);
    }

    private VectorWarmth(double warmNsPerUnit, int twinRuns, boolean prewarmed) {
        this.warmNsPerUnit = warmNsPerUnit;
        this.twinRuns = twinRuns;
        this.prewarmed = prewarmed;
    }

    /**
     * As {@link #VectorWarmth(double)}, for a kernel {@link VectorPrewarm} heats: it takes no samples
     * while that thread heats.
     */
    static VectorWarmth prewarmed(double warmNsPerUnit) {
        return new VectorWarmth(warmNsPerUnit, Integer.MAX_VALUE, true);
    }

    /**
     * A kernel whose twin takes only its first {@code twinRuns} runs, and whose vector code takes
     * every later run, untimed (it never becomes {@link #warm}; {@code -Dfsc.coldStart=false} still
     * starts it there). For code that runs a few times per model call (a generated node's loops, a
     * residual add): one vector run in 32 would heat it 32 times slower than running it every time,
     * and C2 compiles such a method only after hundreds of calls, so the model would run cold twins,
     * and every 32nd call a whole fallback vector run, for thousands of calls. And no timing: the
     * first fast run happens in the C2 code, where a branch that flips to warm was never taken
     * before, so it is an uncommon trap; a method run once per call then spends hundreds more calls
     * in C1's vector fallback before C2 compiles it again ({@code -XX:+PrintCompilation}: "made not
     * entrant: uncommon trap" right after the first C2 compile). Past {@code twinRuns} it warms up
     * exactly as before the twins existed; only the first calls, where the fallback costs most, are
     * spared.
     */
    public static VectorWarmth firstRuns(int twinRuns) {
        return new VectorWarmth(0, twinRuns);
    }

    /** Whether the vector code runs compiled by now: every run takes it. */
    public boolean warm() {
        return warm;
    }

    /**
     * Whether this cold run takes the vector code (timed), to heat it for C2: one in {@value
     * #SAMPLE_EVERY} from run {@value #FIRST_SAMPLE} on, and every run past {@code twinRuns}
     * ({@link #firstRuns}; the count then stops, so it never wraps); none with {@code
     * -Dfsc.coldStart=always}.
     */
    public boolean sample() {
        if (ALWAYS_COLD) {
            return false;
        }
        if (prewarmed && (VectorPrewarm.heating() || runs + 1 >= FIRST_SAMPLE && VectorPrewarm.begin())) {
            return false; // the heating thread takes the samples
        }
        int run = runs;
        if (run >= twinRuns) {
            return true;
        }
        runs = ++run;
        return run >= FIRST_SAMPLE && (run & (SAMPLE_EVERY - 1)) == 0;
    }

    /**
     * The first of the runs {@code [from, to)} that takes the vector code, or {@code to}: asks
     * {@link #sample} for each in turn, so a kernel that samples per unit (an attention head) can
     * give the cold units between samples to its twin in one call.
     */
    public int coldUntil(int from, int to) {
        int run = from;
        while (run < to && !sample()) {
            run++;
        }
        return run;
    }

    /**
     * Records a timed run of the vector code that did {@code units} units of work; the
     * {@value #MAX_SAMPLES}th timed run turns the kernel warm whatever it took.
     */
    public void timed(long nanos, long units) {
        if (units > 0 && nanos < warmNsPerUnit * units) {
            warm = true;
        } else if (twinRuns == Integer.MAX_VALUE && ++samples >= MAX_SAMPLES) {
            warm = true;
        }
    }
}
