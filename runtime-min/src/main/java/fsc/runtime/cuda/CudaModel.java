package fsc.runtime.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One model instance on the GPU: the module loaded from PTX (the driver JITs it for this device),
 * weights uploaded once, one device arena sized by the memory plan, the resident state (the paged KV
 * cache) in its own buffer sized by the caller's cache, and one stream. A call copies the inputs
 * into their arena slots, launches every kernel, and copies the outputs back: the only host↔device
 * traffic per call. Models with resident state (LLM step graphs) replay each repeated launch key's
 * calls as one captured CUDA graph ({@code -Dfsc.cuda.graphs=false} launches kernel by kernel).
 */
public final class CudaModel implements AutoCloseable {
    /** Distinct launch keys kept as graphs: decode and a few prefill shapes, per batch size. */
    static final int GRAPHS = 64;

    private final CudaDriver cu;
    private final CudaProgram program;
    private final MemorySegment stream;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final long arena;
    private final long weights;
    private final ResidentBuffer state;
    private final GraphCache<MemorySegment> graphs;

    private CudaModel(CudaDriver cu, CudaProgram program, String ptx, MemorySegment weightBytes) {
        this.cu = cu;
        this.program = program;
        cu.primaryContext(cu.device(0));
        MemorySegment module = cu.loadModule(ptx);
        this.stream = cu.createStream();
        this.arena = cu.malloc(program.arenaBytes());
        this.weights = cu.malloc(weightBytes.byteSize());
        cu.copyToDevice(weights, weightBytes, weightBytes.byteSize());
        for (KernelLaunch k : program.launches(ones(program.symbols().size()))) {
            functions.computeIfAbsent(k.kernel(), name -> cu.function(module, name));
        }
        this.state = new ResidentBuffer(DeviceMemory.of(cu));
        this.graphs = new GraphCache<>(usesGraphs(program, System.getProperty("fsc.cuda.graphs")) ? GRAPHS : 0);
    }

    /**
     * Graphs pay off where calls are many and short (LLM decode steps, the programs with resident
     * state); {@code "false"} turns them off, {@code "true"} on for every program.
     */
    static boolean usesGraphs(CudaProgram program, String property) {
        if (property != null) {
            return Boolean.parseBoolean(property);
        }
        return program.inputs().stream().anyMatch(CudaProgram.Slot::resident);
    }

    private static long[] ones(int n) {
        long[] s = new long[n];
        java.util.Arrays.fill(s, 1);
        return s;
    }

    /**
     * Opens {@code program} on device 0. Throws {@link CudaUnavailableException} with {@link
     * CudaDriver#NO_DRIVER} when this machine has no CUDA driver, so callers can fall back or print
     * one line.
     */
    public static CudaModel open(CudaProgram program, String ptx, MemorySegment weightBytes) {
        return new CudaModel(driver(), program, ptx, weightBytes);
    }

    /**
     * Opens {@code program} from CUDA C when the jar carries no PTX (it was compiled where neither
     * NVRTC nor nvcc was found): NVRTC compiles the source for this device's own architecture.
     */
    public static CudaModel openFromSource(CudaProgram program, String source, MemorySegment weightBytes) {
        CudaDriver cu = driver();
        int dev = cu.device(0);
        String arch =
                "compute_" + cu.attribute(CudaDriver.ATTR_CC_MAJOR, dev) + cu.attribute(CudaDriver.ATTR_CC_MINOR, dev);
        Nvrtc nvrtc = Nvrtc.load()
                .orElseThrow(() -> new CudaUnavailableException("this jar carries CUDA source but no PTX, and no"
                        + " libnvrtc was found to compile it (install the CUDA toolkit's NVRTC, or recompile"
                        + " the jar where nvcc is on PATH)"));
        return new CudaModel(cu, program, nvrtc.ptx(source, "model.cu", arch), weightBytes);
    }

    private static CudaDriver driver() {
        CudaDriver cu = CudaDriver.load().orElseThrow(() -> new CudaUnavailableException(CudaDriver.NO_DRIVER));
        if (cu.deviceCount() == 0) {
            throw new CudaUnavailableException("a CUDA driver is installed but there is no CUDA device");
        }
        return cu;
    }

    /**
     * One call: {@code inputs} and {@code outputs} in the program's order, each a host segment of the
     * call's actual size; {@code symbols} bind the symbolic dims (in {@link CudaProgram#symbols()} order).
     */
    public void run(long[] symbols, List<MemorySegment> inputs, List<MemorySegment> outputs) {
        List<CudaProgram.Slot> in = program.inputs();
        for (int i = 0; i < in.size(); i++) {
            if (in.get(i).resident()) {
                state.bind(inputs.get(i));
            } else {
                cu.copyToDevice(
                        arena + in.get(i).offset(), inputs.get(i), inputs.get(i).byteSize());
            }
        }
        List<KernelLaunch> launches = program.launches(symbols);
        for (KernelLaunch k : launches) {
            // An attribute, not a stream operation: set before any capture so graphs record launches only.
            if (k.sharedBytes() > 48 * 1024) {
                cu.setFunctionAttribute(functions.get(k.kernel()), CudaDriver.FUNC_MAX_DYNAMIC_SHARED, k.sharedBytes());
            }
        }
        GraphCache.Key key = new GraphCache.Key(symbols, state.pointer());
        graphs.graphFor(key, () -> capture(symbols, launches))
                .ifPresentOrElse(g -> cu.launchGraph(g, stream), () -> launchAll(symbols, launches));
        cu.synchronize(stream);
        List<CudaProgram.Slot> out = program.outputs();
        for (int i = 0; i < out.size(); i++) {
            cu.copyToHost(
                    outputs.get(i),
                    base(out.get(i).buffer()) + out.get(i).offset(),
                    outputs.get(i).byteSize());
        }
    }

    private long base(CudaProgram.Buffer buffer) {
        return switch (buffer) {
            case ARENA -> arena;
            case WEIGHTS -> weights;
            case STATE -> state.pointer();
        };
    }

    private void launchAll(long[] symbols, List<KernelLaunch> launches) {
        try (Arena a = Arena.ofConfined()) {
            // The driver copies the argument values at each launch (and into the graph when capturing).
            MemorySegment args = KernelArgs.pack(a, arena, weights, state.pointer(), symbols);
            for (KernelLaunch k : launches) {
                cu.launch(functions.get(k.kernel()), k.grid(), k.block(), k.sharedBytes(), stream, args);
            }
        }
    }

    private MemorySegment capture(long[] symbols, List<KernelLaunch> launches) {
        cu.beginCapture(stream);
        try {
            launchAll(symbols, launches);
        } catch (RuntimeException e) {
            // Leave the stream out of capture mode, or every later call on it fails too.
            try {
                cu.destroyGraph(cu.endCapture(stream));
            } catch (RuntimeException alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            throw e;
        }
        return cu.endCapture(stream);
    }

    /** Milliseconds of GPU time for one call's kernels (CUDA events around the launches), for benchmarks. */
    public float timeKernels(long[] symbols) {
        MemorySegment start = cu.createEvent();
        MemorySegment end = cu.createEvent();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = KernelArgs.pack(a, arena, weights, state.pointer(), symbols);
            cu.record(start, stream);
            for (KernelLaunch k : program.launches(symbols)) {
                cu.launch(functions.get(k.kernel()), k.grid(), k.block(), k.sharedBytes(), stream, args);
            }
            cu.record(end, stream);
        }
        return cu.elapsedMillis(start, end);
    }

    @Override
    public void close() {
        cu.synchronize(stream);
        graphs.drain().forEach(cu::destroyGraph);
        state.close();
        cu.free(arena);
        cu.free(weights);
    }
}
