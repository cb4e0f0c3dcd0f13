package fsc.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;

/**
 * Downcalls to NVRTC ({@code libnvrtc.so.13}, else {@code .12}): CUDA C → PTX in process, at compile
 * time or at load time for the device's own architecture. A failed compile throws a {@link
 * CudaException} carrying NVRTC's log.
 */
public final class Nvrtc {
    private final SymbolLookup lib;
    private final Linker linker = Linker.nativeLinker();

    private Nvrtc(SymbolLookup lib) {
        this.lib = lib;
    }

    public static Optional<Nvrtc> load() {
        return NativeLibraries.load(List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"))
                .map(Nvrtc::new);
    }

    private int call(String name, FunctionDescriptor fd, Object... args) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new CudaException("libnvrtc has no symbol " + name, 500));
        MethodHandle h = linker.downcallHandle(sym, fd);
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException("downcall " + name + " failed", t);
        }
    }

    private void check(String name, int rc, String log) {
        if (rc != 0) {
            throw new CudaException(name + " failed: nvrtcResult " + rc + (log.isEmpty() ? "" : "\n" + log), rc);
        }
    }

    /** PTX for {@code arch} (e.g. {@code compute_90}) of {@code source}; {@code name} labels the log. */
    public String ptx(String source, String name, String arch) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment prog = a.allocate(ADDRESS);
            check(
                    "nvrtcCreateProgram",
                    call(
                            "nvrtcCreateProgram",
                            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS),
                            prog,
                            a.allocateFrom(source),
                            a.allocateFrom(name),
                            0,
                            MemorySegment.NULL,
                            MemorySegment.NULL),
                    "");
            MemorySegment p = prog.get(ADDRESS, 0);
            try {
                String[] opts = {"--gpu-architecture=" + arch, "-std=c++17", "-lineinfo"};
                MemorySegment optv = a.allocate(ADDRESS, opts.length);
                for (int i = 0; i < opts.length; i++) {
                    optv.setAtIndex(ADDRESS, i, a.allocateFrom(opts[i]));
                }
                int rc = call(
                        "nvrtcCompileProgram",
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS),
                        p,
                        opts.length,
                        optv);
                check("nvrtcCompileProgram(" + name + ")", rc, rc == 0 ? "" : log(a, p));
                MemorySegment size = a.allocate(JAVA_LONG);
                check(
                        "nvrtcGetPTXSize",
                        call("nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), p, size),
                        "");
                MemorySegment ptx = a.allocate(size.get(JAVA_LONG, 0));
                check(
                        "nvrtcGetPTX",
                        call("nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), p, ptx),
                        "");
                return ptx.getString(0);
            } finally {
                call("nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS), prog);
            }
        }
    }

    private String log(Arena a, MemorySegment p) {
        MemorySegment size = a.allocate(JAVA_LONG);
        if (call("nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), p, size) != 0) {
            return "";
        }
        MemorySegment text = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
        call("nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), p, text);
        return text.getString(0);
    }
}
