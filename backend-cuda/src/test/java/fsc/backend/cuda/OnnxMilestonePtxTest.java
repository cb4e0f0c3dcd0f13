package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * Every kernel the CUDA backend emits for the ONNX node tests of the milestone lists compiles with
 * {@code nvcc -ptx -arch=sm_90}. Models are prepared as the conformance runner does, models the
 * support table refuses are counted (and the refused ops printed), and the kernels of all others go
 * into a few translation units (one nvcc run each, names prefixed per model) so the check costs
 * seconds, not one nvcc start per model.
 */
class OnnxMilestonePtxTest {
    /** Models per translation unit: big enough to amortise nvcc's start, small enough to read its errors. */
    static final int MODELS_PER_UNIT = 200;

    record Emitted(String test, List<Kernel> kernels) {}

    /**
     * About 100 s on a loaded 2-core machine (812 imports, 2,700 kernels through nvcc). It stays in
     * the default suite: compiling every emitted milestone kernel is CI's only check of the CUDA
     * backend on these models, and the whole suite runs well inside CI's budget.
     */
    @Test
    void everyMilestoneModelTheBackendSupportsCompilesToPtx() {
        Path onnx = sharedData().resolve("onnx");
        TreeSet<String> names = new TreeSet<>();
        for (String list : List.of(
                "milestone1_bert.txt", "milestone2_cnn.txt", "milestone3_decoder.txt", "milestone4_quant.txt")) {
            names.addAll(OnnxNodeModels.milestone(onnx.resolve(list)));
        }
        // The four lists hold 211 + 202 + 379 + 20 tests (812, a few shared between lists).
        assertTrue(names.size() >= 800, "the milestone lists name only " + names.size() + " tests");
        Nvcc nvcc = TestModels.nvccOrSkip();
        List<Emitted> emitted = new ArrayList<>();
        Map<String, Integer> refusedOps = new TreeMap<>();
        List<String> ended = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        // Missing data fails: a half-copied ../shared/data must not pass with half the models checked.
        List<String> missing = names.stream()
                .filter(n -> !Files.isDirectory(onnx.resolve("node").resolve(n)))
                .toList();
        assertEquals(List.of(), missing, "milestone tests without a folder under " + onnx.resolve("node"));
        int refused = 0;
        for (String name : names) {
            Path dir = onnx.resolve("node").resolve(name);
            switch (OnnxNodeModels.prepare(dir)) {
                case OnnxNodeModels.Ended e -> ended.add(e.name() + ": " + e.why());
                case OnnxNodeModels.Ready r -> {
                    try {
                        CudaKernelSupport.check(r.graph());
                    } catch (FscException e) {
                        refused++;
                        refusedOps(r.graph()).forEach(op -> refusedOps.merge(op, 1, Integer::sum));
                        continue;
                    }
                    try {
                        emitted.add(new Emitted(
                                name, CudaBackend.module(r.graph(), name).kernels()));
                    } catch (RuntimeException e) {
                        broken.add(name + ": " + e);
                    }
                }
            }
        }
        int kernels = 0;
        for (int from = 0; from < emitted.size(); from += MODELS_PER_UNIT) {
            List<Emitted> unit = emitted.subList(from, Math.min(emitted.size(), from + MODELS_PER_UNIT));
            StringBuilder src = new StringBuilder(CudaLanguage.CUDA.header())
                    .append(CudaModule.PRELUDE)
                    .append(QuantCuda.PRELUDE);
            List<String> entries = new ArrayList<>();
            for (int i = 0; i < unit.size(); i++) {
                String prefix = "m" + (from + i) + "_";
                for (Kernel k : unit.get(i).kernels()) {
                    // Kernel names repeat across models (f32_add_3_n0); helper functions are named after them.
                    src.append('\n')
                            .append(k.source()
                                    .replaceAll(
                                            "\\b" + java.util.regex.Pattern.quote(k.name()) + "\\b",
                                            Matcher.quoteReplacement(prefix + k.name())));
                    entries.add(prefix + k.name());
                }
            }
            String ptx = nvcc.ptx(src.toString(), "milestones_" + from + ".cu", "sm_90");
            for (String e : entries) {
                assertTrue(ptx.contains(".entry " + e + "("), e);
            }
            kernels += entries.size();
        }
        System.out.println("CUDA milestone PTX: " + names.size() + " tests, " + emitted.size() + " compiled ("
                + kernels + " kernels), " + refused + " unsupported by the CUDA backend " + refusedOps + ", "
                + ended.size() + " stopped before the backend (frontend/passes)");
        assertEquals(List.of(), broken, "the backend failed on models its support table accepts");
        assertTrue(emitted.size() > names.size() / 2, "most milestone models reach the CUDA backend");
    }

    /** Shape and ConstantOfShape fold to a constant output: the host reads it from the weights buffer. */
    @Test
    void anOutputFoldedToAConstantIsReadFromTheWeights() {
        for (String name : List.of("test_shape", "test_constantofshape_float_ones")) {
            OnnxNodeModels.Prepared p = OnnxNodeModels.prepare(
                    sharedData().resolve("onnx").resolve("node").resolve(name));
            OnnxNodeModels.Ready r = assertInstanceOf(OnnxNodeModels.Ready.class, p, name);
            DeviceLayout.Io out =
                    CudaBackend.module(r.graph(), name).layout().outputs().getFirst();
            assertEquals(DeviceLayout.Space.WEIGHTS, out.space(), name);
        }
    }

    /** The (op, output dtype) pairs of {@code g} the support table refuses, once each. */
    private static TreeSet<String> refusedOps(Graph g) {
        TreeSet<String> ops = new TreeSet<>();
        for (Node n : g.nodes()) {
            boolean laidOut = n.inputs().stream().map(Value::type).anyMatch(t -> !t.isRowMajor());
            if (!DeviceLayout.VIEW_OPS.contains(n.op()) && (laidOut || CudaKernelSupport.find(n) == null)) {
                String op = n.isFused() ? "fused@" + n.fusedKind() : n.op();
                ops.add(op + "(" + n.outputs().getFirst().dtype().name().toLowerCase() + ")"
                        + (laidOut ? "/strided" : ""));
            }
        }
        return ops;
    }

    static Path sharedData() {
        String shared = System.getProperty("fsc.shared.data");
        return shared != null ? Path.of(shared) : Path.of("../../shared/data");
    }
}
