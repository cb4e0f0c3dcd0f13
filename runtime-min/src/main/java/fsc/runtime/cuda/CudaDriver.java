package fsc.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Our own {@code java.lang.foreign} downcalls to the CUDA driver API ({@code libcuda.so.1}): device,
 * primary context, modules, memory, launches, streams, events and graphs. Every call's {@code
 * CUresult} is checked and turned into a {@link CudaException} naming the call. Handles are raw
 * pointers ({@link MemorySegment}); device pointers are {@code long}s.
 */
public final class CudaDriver {
    /** {@code CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR} and {@code _MINOR}. */
    public static final int ATTR_CC_MAJOR = 75;

    public static final int ATTR_CC_MINOR = 76;

    /** {@code CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES}. */
    public static final int FUNC_MAX_DYNAMIC_SHARED = 8;

    /** The one line a CUDA artifact prints on a machine without a GPU driver. */
    public static final String NO_DRIVER =
            "no CUDA driver found (libcuda.so.1 is not installed or not on the loader path)";

    private final SymbolLookup lib;
    private final Linker linker = Linker.nativeLinker();
    private final java.util.Map<String, MethodHandle> handles = new java.util.concurrent.ConcurrentHashMap<>();

    private CudaDriver(SymbolLookup lib) {
        this.lib = lib;
    }

    /** The driver, initialised, or empty when {@code libcuda.so.1} cannot be loaded. */
    public static Optional<CudaDriver> load() {
        return NativeLibraries.load(List.of("libcuda.so.1", "libcuda.so")).map(l -> {
            CudaDriver d = new CudaDriver(l);
            d.call("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT), 0);
            return d;
        });
    }

    private MethodHandle handle(String name, FunctionDescriptor fd) {
        return handles.computeIfAbsent(name, n -> lookup(n, fd));
    }

    private MethodHandle lookup(String name, FunctionDescriptor fd) {
        MemorySegment sym = lib.find(name)
                .orElseThrow(() -> new CudaException("libcuda has no symbol " + name + " (driver too old?)", 500));
        return linker.downcallHandle(sym, fd);
    }

    /** Calls {@code name} and checks its CUresult. */
    private void call(String name, FunctionDescriptor fd, Object... args) {
        int rc;
        try {
            rc = (int) handle(name, fd).invokeWithArguments(args);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("downcall " + name + " failed", t);
        }
        if (rc != 0) {
            throw new CudaException(name + " failed: " + errorName(rc) + " (" + rc + ")", rc);
        }
    }

    /** The driver's name for {@code rc}, or our table's when the driver cannot say. */
    String errorName(int rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = (int) handle("cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS))
                    .invokeExact(rc, out);
            if (r == 0) {
                return out.get(ADDRESS, 0).reinterpret(256).getString(0);
            }
        } catch (Throwable ignored) {
            // Fall through to our own table.
        }
        return CudaErrors.name(rc);
    }

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            call("cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS), n);
            return n.get(JAVA_INT, 0);
        }
    }

    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            call("cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), d, ordinal);
            return d.get(JAVA_INT, 0);
        }
    }

    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(256);
            call("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), s, 256, device);
            return s.getString(0, StandardCharsets.UTF_8);
        }
    }

    public int attribute(int attr, int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            call("cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), v, attr, device);
            return v.get(JAVA_INT, 0);
        }
    }

    /** Retains the device's primary context and makes it current on this thread. */
    public MemorySegment primaryContext(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(ADDRESS);
            call("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), c, device);
            MemorySegment ctx = c.get(ADDRESS, 0);
            call("cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS), ctx);
            return ctx;
        }
    }

    /** Loads a module from NUL-terminated PTX text (the driver JITs it for this device). */
    public MemorySegment loadModule(String ptx) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(ADDRESS);
            call("cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), m, a.allocateFrom(ptx));
            return m.get(ADDRESS, 0);
        }
    }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ADDRESS);
            call(
                    "cuModuleGetFunction",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                    f,
                    module,
                    a.allocateFrom(name));
            return f.get(ADDRESS, 0);
        }
    }

    public void setFunctionAttribute(MemorySegment function, int attr, int value) {
        call("cuFuncSetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), function, attr, value);
    }

    public long malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            call("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), p, Math.max(1, bytes));
            return p.get(JAVA_LONG, 0);
        }
    }

    public void free(long ptr) {
        call("cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG), ptr);
    }

    public void memset(long ptr, byte value, long bytes) {
        call("cuMemsetD8_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG), ptr, value, bytes);
    }

    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        call("cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG), dst, src, bytes);
    }

    public void copyToHost(MemorySegment dst, long src, long bytes) {
        call("cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), dst, src, bytes);
    }

    /** {@code cuLaunchKernel}; {@code params} is the array of pointers to each argument (see {@link KernelArgs}). */
    public void launch(
            MemorySegment function,
            long[] grid,
            int[] block,
            int sharedBytes,
            MemorySegment stream,
            MemorySegment params) {
        call(
                "cuLaunchKernel",
                FunctionDescriptor.of(
                        JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                        ADDRESS, ADDRESS, ADDRESS),
                function,
                (int) grid[0],
                (int) grid[1],
                (int) grid[2],
                block[0],
                block[1],
                block[2],
                sharedBytes,
                stream,
                params,
                MemorySegment.NULL);
    }

    public void synchronize() {
        call("cuCtxSynchronize", FunctionDescriptor.of(JAVA_INT));
    }

    public MemorySegment createStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            call("cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), s, 1);
            return s.get(ADDRESS, 0);
        }
    }

    public void synchronize(MemorySegment stream) {
        call("cuStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS), stream);
    }

    public MemorySegment createEvent() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ADDRESS);
            call("cuEventCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), e, 0);
            return e.get(ADDRESS, 0);
        }
    }

    public void record(MemorySegment event, MemorySegment stream) {
        call("cuEventRecord", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), event, stream);
    }

    /** Milliseconds between two recorded events (waits for the second). */
    public float elapsedMillis(MemorySegment start, MemorySegment end) {
        call("cuEventSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS), end);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(JAVA_FLOAT);
            call("cuEventElapsedTime", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), ms, start, end);
            return ms.get(JAVA_FLOAT, 0);
        }
    }

    /** Starts capturing {@code stream}'s work into a graph (global capture mode). */
    public void beginCapture(MemorySegment stream) {
        call("cuStreamBeginCapture_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), stream, 0);
    }

    /** Ends the capture and instantiates the graph, ready for {@link #launchGraph}. */
    public MemorySegment endCapture(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment g = a.allocate(ADDRESS);
            call("cuStreamEndCapture", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), stream, g);
            MemorySegment exec = a.allocate(ADDRESS);
            call(
                    "cuGraphInstantiateWithFlags",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
                    exec,
                    g.get(ADDRESS, 0),
                    0L);
            // The executable graph is a copy; the captured template is not needed after instantiation.
            call("cuGraphDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), g.get(ADDRESS, 0));
            return exec.get(ADDRESS, 0);
        }
    }

    /** Frees an executable graph made by {@link #endCapture}. */
    public void destroyGraph(MemorySegment exec) {
        call("cuGraphExecDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), exec);
    }

    public void launchGraph(MemorySegment exec, MemorySegment stream) {
        call("cuGraphLaunch", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), exec, stream);
    }
}
