package fsc.runtime;

import fsc.runtime.x86.AddKernels;
import fsc.runtime.x86.AttentionHeadKernels;
import fsc.runtime.x86.ExecutableMemory;
import fsc.runtime.x86.FmaGemmKernels;
import fsc.runtime.x86.LayerNormKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Links, on a daemon thread, the foreign calls a fresh process's model is about to make, while the
 * main thread reads its inputs and maps the jar. A cold JVM's first {@code downcallHandle} costs
 * ~40 ms here (the linker loads its classes and spins one class per call shape through the
 * class-file API; JDK 25's AOT cache holds none of that, see docs/EDGE.md §2), and every model's
 * constructor makes one ({@link PackedMemory}'s {@code mmap}), as does its first call on a CPU with
 * machine-code kernels. What is linked is cached by the JDK's linker, so the main thread finds it
 * ready, or waits for it (class initialisation), never links it twice.
 *
 * <p>Then the machine code an encoder's first call runs, which it would otherwise assemble in the
 * interpreter: the f32 GEMM tile ({@link FmaGemmKernels}) and the tile variants of {@link
 * FmaGemmKernels#prelinkCommonTiles}, layer-norm rows ({@link LayerNormKernels}), the add ({@link
 * AddKernels}, also called once, empty) and the attention head ({@link AttentionHeadKernels}). Only
 * classes whose static initialisers depend on no
 * model or kernel class ({@link HugePages}, the {@code x86} package), so the two threads cannot
 * deadlock on class initialisation. Nothing is reported from here: a failure shows where the main
 * thread makes the same call.
 */
public final class ForeignWarmup extends Thread {
    private ForeignWarmup() {
        super("fsc-foreign-warmup");
        setDaemon(true);
    }

    /** The process's warm-up, once {@link #begin} started it. */
    private static volatile ForeignWarmup started;

    /** How long {@link #awaitDone} waits at most: the warm-up is ~100 ms of work on a cold JVM. */
    static final long AWAIT_MILLIS = 1000;

    /** Starts the warm-up (a thread of this class: a lambda would spin a class of its own first). */
    public static void begin() {
        ForeignWarmup w = new ForeignWarmup();
        started = w;
        w.start();
    }

    /**
     * Waits, up to {@link #AWAIT_MILLIS}, for a started warm-up to finish. For a one-call process
     * between opening the model and its call: a warm-up still assembling kernels then competes with
     * the call for a device's few CPUs (a MiniLM 1×16 first call took ~14 ms instead of ~8.5 when it
     * started early), while what it prepares is the call's anyway. Returns at once when none runs.
     */
    public static void awaitDone() {
        ForeignWarmup w = started;
        if (w == null) {
            return;
        }
        try {
            w.join(AWAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * An add of no elements, called the way every kernel is called: a cold JVM's first downcall
     * initialises the linker's stub class and spins the method-handle forms of the call (~1.5 ms
     * on the main thread's first call otherwise); the kernels share them.
     */
    private static void firstKernelCall(AddKernels add) {
        MemorySegment params = Arena.ofAuto().allocate(8L * AddKernels.PARAMS, 64);
        MemorySegment.copy(new long[AddKernels.PARAMS], 0, params, ValueLayout.JAVA_LONG, 0, AddKernels.PARAMS);
        add.run(params.address());
    }

    @Override
    public void run() {
        try {
            HugePages.available();
            if (ExecutableMemory.prelink()) {
                FmaGemmKernels gemm = FmaGemmKernels.loadIfSupported(); // each assembled and linked once per process
                LayerNormKernels.loadIfSupported();
                AddKernels add = AddKernels.loadIfSupported();
                if (add != null) {
                    firstKernelCall(add);
                }
                AttentionHeadKernels.loadIfSupported();
                if (gemm != null) {
                    gemm.prelinkCommonTiles();
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // The main thread links these itself and reports what it cannot.
        }
    }
}
