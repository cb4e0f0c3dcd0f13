package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.PanelLayout;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import jdk.incubator.vector.FloatVector;

/**
 * Pre-packs GEMM weights at compile time into the column-panel layout the CPU GEMM kernel reads
 * ({@code fsc.runtime.kernels.Sgemm.gemmPacked}), so the jar stores packed bytes and the model maps
 * them instead of packing every weight when it loads.
 *
 * <p>A weight is packed when it is the constant right operand of a top-level {@code matmul} (a
 * fixed-size f32 matrix) or of a {@code gemm} the backend runs packed (no {@code trans_a}, {@code
 * alpha = 1}). The new constant has the logical type {@code f32[K,N]{panelW}} and its weight holds
 * the panels (see {@link PanelLayout}); a {@code gemm} with {@code trans_b = 1} is rewritten to read
 * the packed {@code B[K,N]} with {@code trans_b = 0}, so the tag always means the same matrix.
 *
 * <pre>
 * %w: f32[384,1536] = const @"w"
 * %y: f32[B,1536] = matmul(%x, %w)
 *   ⇒
 * %w_panel16: f32[384,1536]{panel16} = const @"w.panel16"     // weight f32[96,384,16]
 * %y: f32[B,1536] = matmul(%x, %w_panel16)
 * </pre>
 *
 * <p><b>Panel width.</b> {@code W} is two vectors of the compiling machine's preferred float
 * species (what {@code Sgemm.panelWidth()} returns there), or the option {@code layout.panel=W} when
 * compiling for another CPU. The generated model compares it with the running CPU's width at
 * construction and repacks from the panels when they differ ({@code Sgemm.repack}), so a jar stays
 * correct anywhere and is fastest to load where it was compiled for.
 *
 * <p>A weight used by other nodes too keeps its row-major constant beside the packed one; one used
 * only by GEMMs is replaced. Each (weight, orientation) is packed once however many GEMMs read it.
 */
@PassInfo(
        name = "layout",
        summary = "pre-pack constant GEMM weights into the CPU kernel's column panels (layout.panel=W)")
public final class LayoutPass implements Pass {
    /** Whole-graph work: a region's values are planned and its weights read by the backend's region class. */
    @Override
    public boolean recursesIntoRegions() {
        return false;
    }

    /** Two vectors of the preferred species: the panel width of {@code Sgemm} on this machine. */
    static final int NATIVE_PANEL = 2 * FloatVector.SPECIES_PREFERRED.length();

    @Override
    public Graph run(Graph g, PassContext ctx) {
        long option = ctx.longOption("layout.panel", NATIVE_PANEL);
        if (option <= 0 || option > 1024) {
            throw new FscException("pass option layout.panel=" + option + " must be a panel width in 1..1024");
        }
        int width = (int) option;
        Map<Value, Constant> constants = new IdentityHashMap<>();
        for (Constant c : g.constants()) {
            constants.put(c.value(), c);
        }
        Set<String> names = new HashSet<>(g.weights().byName().keySet());
        g.inputs().forEach(v -> names.add(v.name()));
        g.constants().forEach(c -> names.add(c.value().name()));
        g.nodes().forEach(n -> n.outputs().forEach(v -> names.add(v.name())));

        // Packed constant per source value, for each orientation (index 1: source is [N,K]).
        Map<Value, Constant[]> packed = new IdentityHashMap<>();
        Map<Value, List<Constant>> added = new IdentityHashMap<>();
        TreeMap<String, WeightData> newWeights = new TreeMap<>();
        List<Node> nodes = new ArrayList<>();
        long rowMajorBytes = 0;
        long packedBytes = 0;
        for (Node n : g.nodes()) {
            Weight kind = weightOf(n, constants);
            if (kind == Weight.NONE) {
                nodes.add(n);
                continue;
            }
            Value b = n.input(1);
            Constant[] slots = packed.computeIfAbsent(b, key -> new Constant[2]);
            boolean transposed = kind == Weight.TRANSPOSED;
            int slot = transposed ? 1 : 0;
            if (slots[slot] == null) {
                Constant src = constants.get(b);
                WeightData w = PanelLayout.pack(g.weights().get(src.weight()), transposed, width);
                String tag = PanelLayout.tag(width);
                String suffix = (transposed ? "_t" : "") + "_" + tag;
                long k = b.type().dim(transposed ? 1 : 0).value();
                long cols = b.type().dim(transposed ? 0 : 1).value();
                Value v = new Value(
                        UniqueNames.unique(names, b.name() + suffix),
                        TensorType.of(DType.F32, k, cols).withLayout(tag));
                String weight = UniqueNames.unique(names, src.weight() + "." + (transposed ? "t." : "") + tag);
                slots[slot] = new Constant(v, weight);
                added.computeIfAbsent(b, key -> new ArrayList<>()).add(slots[slot]);
                newWeights.put(weight, w);
                rowMajorBytes += g.weights().get(src.weight()).bytes().remaining();
                packedBytes += w.bytes().remaining();
            }
            List<Value> in = new ArrayList<>(n.inputs());
            in.set(1, slots[slot].value());
            Node rewritten = n.withInputs(in);
            if (n.op().equals("gemm") && transposed) {
                TreeMap<String, Attr> attrs = new TreeMap<>(n.attrs());
                attrs.put("trans_b", Attr.of(0L));
                rewritten = rewritten.withAttrs(attrs);
            }
            nodes.add(rewritten);
        }
        if (added.isEmpty()) {
            return g;
        }
        return rebuild(g, nodes, added, newWeights, ctx, width, rowMajorBytes, packedBytes);
    }

    /** How a node reads its input 1: not a packable weight, a {@code [K,N]} one, or an {@code [N,K]} one. */
    private enum Weight {
        NONE,
        ROW_MAJOR,
        TRANSPOSED
    }

    private static Weight weightOf(Node n, Map<Value, Constant> constants) {
        if (n.isFused() || n.inputs().size() < 2 || !constants.containsKey(n.input(1))) {
            return Weight.NONE;
        }
        Value b = n.input(1);
        if (b.dtype() != DType.F32
                || b.type().rank() != 2
                || !b.type().isStatic()
                || !b.type().isRowMajor()) {
            return Weight.NONE;
        }
        return switch (n.op()) {
            case "matmul" -> n.input(0).dtype() == DType.F32 ? Weight.ROW_MAJOR : Weight.NONE;
            // The backend packs only a gemm without trans_a and with alpha 1 (see MatmulEmitter).
            case "gemm" -> {
                if (n.intAttr("trans_a") != 0 || n.floatAttr("alpha") != 1.0) {
                    yield Weight.NONE;
                }
                yield n.intAttr("trans_b") != 0 ? Weight.TRANSPOSED : Weight.ROW_MAJOR;
            }
            default -> Weight.NONE;
        };
    }

    /** The graph with the packed constants after their sources, and sources no node reads any more dropped. */
    private static Graph rebuild(
            Graph g,
            List<Node> nodes,
            Map<Value, List<Constant>> added,
            TreeMap<String, WeightData> newWeights,
            PassContext ctx,
            int width,
            long rowMajorBytes,
            long packedBytes) {
        Set<Value> read = Substitution.identitySet(g.outputs());
        for (Node n : nodes) {
            read.addAll(n.inputs());
        }
        List<Constant> constants = new ArrayList<>();
        Set<String> keptWeights = new HashSet<>();
        Set<String> droppedWeights = new HashSet<>();
        for (Constant c : g.constants()) {
            if (read.contains(c.value())) {
                constants.add(c);
                keptWeights.add(c.weight());
            } else if (added.containsKey(c.value())) {
                droppedWeights.add(c.weight());
            }
            constants.addAll(added.getOrDefault(c.value(), List.of()));
        }
        // Only the weights of replaced constants go: the rest is dce's business.
        TreeMap<String, WeightData> weights = new TreeMap<>(g.weights().byName());
        droppedWeights.removeAll(keptWeights);
        weights.keySet().removeAll(droppedWeights);
        weights.putAll(newWeights);
        ctx.note(String.format(
                java.util.Locale.ROOT,
                "packed %d GEMM weights into panel%d (%d bytes row-major, %d bytes packed)",
                newWeights.size(),
                width,
                rowMajorBytes,
                packedBytes));
        return g.withBody(constants, nodes, g.outputs(), new Weights(weights));
    }
}
