package fsc.cli.edge;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.perf.NodeTable;
import fsc.runtime.perf.ProfiledModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

/**
 * Whether a packaged model's one-call runs take {@link Launcher#ONE_CALL_OPTIONS} (C1 only, every
 * kernel on its scalar twin): only when every op in the jar's {@code fsc/nodes.json} runs as machine
 * code or has a twin, so C1 never runs a Vector API kernel in its allocating Java fallback. Measured
 * both ways (docs/EDGE.md section 2): MiniLM fp32 and int8 gain at every size tried (1×16 to
 * 8×128); the OCR detector, whose convolutions have no twins, was even at 320×320 and 40 % slower
 * at 512×512 (3.0 s against 2.1–2.2). An op this list does not name keeps the default tiers.
 */
public final class OneCallPolicy {
    /**
     * Ops whose kernels are machine code (the GEMMs), have scalar twins (attention, layer norm, the
     * int8 quantizer and GEMM rescale, the residual add, the generated element-wise loops), or only
     * move data.
     */
    static final Set<String> COVERED = Set.of(
            "matmul",
            "matmul+add",
            "matmul+add+gelu",
            "matmul_int8",
            "dynamic_quantize_rows",
            "gemm",
            "attention",
            "layer_norm",
            "add",
            "fused:elementwise",
            "tanh",
            "gather",
            "cast",
            "slice",
            "reshape",
            "transpose");

    private OneCallPolicy() {}

    /** The ops of {@code jar}'s nodes that {@link #COVERED} does not name (empty: the options apply). */
    public static Set<String> uncovered(Path jar) {
        Set<String> out = new TreeSet<>();
        for (String op : ops(jar)) {
            if (!COVERED.contains(op)) {
                out.add(op);
            }
        }
        return out;
    }

    /** The op of every profiled node in {@code jar}, from its {@link NodeTable}. */
    static List<String> ops(Path jar) {
        try (JarFile jf = new JarFile(jar.toFile())) {
            ZipEntry e = jf.getEntry(ProfiledModel.NODES_ENTRY);
            if (e == null) {
                throw new RuntimeFailure(
                        jar + ": no " + ProfiledModel.NODES_ENTRY + " (a jar of an older fsc? compile it again)");
            }
            NodeTable table = NodeTable.parse(new String(jf.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8));
            return table.slots().stream().map(NodeTable.Slot::op).toList();
        } catch (IOException e) {
            throw new RuntimeFailure(jar + ": cannot read its node table: " + e.getMessage(), e);
        }
    }
}
