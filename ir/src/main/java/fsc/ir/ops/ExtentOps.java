package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Ops whose output length depends on their operands' values: {@code nonzero}, {@code unique} and
 * {@code non_max_suppression}. Each names, in its {@code extent} attribute, a graph symbol that its
 * data-dependent output dimension is; the graph declares that symbol with an upper bound (NonZero's
 * count is at most the element count), so the memory plan sizes the output at the bound as it does
 * for any symbol. Unlike input symbols, an extent symbol is not bound from the input shapes: the node
 * sets it when it runs, and every later use of the dimension reads that value. The graph's extent
 * symbols are {@link #symbols(Graph)}.
 */
public final class ExtentOps {
    private ExtentOps() {}

    /** The attribute naming the symbol a node defines at run time. */
    public static final String EXTENT = "extent";

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("nonzero", 1, ExtentOps::nonzero).attrs(AttrSpec.string(EXTENT)),
                // axis: absent flattens (ONNX Unique); sorted as ONNX's default.
                OpSpec.fixed("unique", 1, ExtentOps::unique)
                        .attrs(AttrSpec.string(EXTENT), AttrSpec.integer("axis"), AttrSpec.integer("sorted", 1)),
                // Operands 2..4 (max per class, IoU and score thresholds) are optional run-time scalars.
                new OpSpec("non_max_suppression", 2, 5, ExtentOps::nonMaxSuppression)
                        .attrs(AttrSpec.string(EXTENT), AttrSpec.integer("center_point_box", 0)));
    }

    /** Whether {@code op} sizes an output at run time. */
    public static boolean isExtentOp(String op) {
        return op.equals("nonzero") || op.equals("unique") || op.equals("non_max_suppression");
    }

    /** The symbol {@code n} defines at run time, or null. */
    public static String extentOf(Node n) {
        return isExtentOp(n.op()) && n.attrs().containsKey(EXTENT) ? n.strAttr(EXTENT) : null;
    }

    /** Every symbol of {@code g} that a node (of the top-level graph) sets at run time, sorted. */
    public static TreeSet<String> symbols(Graph g) {
        TreeSet<String> out = new TreeSet<>();
        for (Node n : g.nodes()) {
            String s = extentOf(n);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    private static Dim extent(InferContext ctx) {
        return Dim.sym(ctx.strAttr(EXTENT));
    }

    /** {@code nonzero(x)}: {@code i64[rank, n]}, the indices of the non-zero elements, column by column. */
    private static List<TensorType> nonzero(InferContext ctx) {
        return List.of(new TensorType(DType.I64, List.of(Dim.of(ctx.input(0).rank()), extent(ctx))));
    }

    /**
     * {@code unique(x)}: values {@code [u]} (or x with its {@code axis} dimension {@code u}), first
     * indices {@code i64[u]}, inverse indices {@code i64[n]} (n elements, or x's axis length) and
     * counts {@code i64[u]}.
     */
    private static List<TensorType> unique(InferContext ctx) {
        TensorType x = ctx.input(0);
        Dim u = extent(ctx);
        TensorType values;
        Dim n;
        if (ctx.has("axis")) {
            int axis = ctx.axis(ctx.intAttr("axis"), x.rank());
            List<Dim> dims = new ArrayList<>(x.dims());
            n = dims.get(axis);
            dims.set(axis, u);
            values = x.withDims(dims);
        } else {
            n = x.elementCount();
            values = x.withDims(List.of(u));
        }
        TensorType idx = new TensorType(DType.I64, List.of(u));
        return List.of(values, idx, new TensorType(DType.I64, List.of(n)), idx);
    }

    /** {@code non_max_suppression(boxes [B,N,4], scores [B,C,N], ...)}: {@code i64[n, 3]} (batch, class, box). */
    private static List<TensorType> nonMaxSuppression(InferContext ctx) {
        TensorType boxes = ctx.input(0);
        TensorType scores = ctx.input(1);
        if (boxes.rank() != 3 || scores.rank() != 3 || !boxes.dim(2).equals(Dim.of(4))) {
            throw ctx.fail("boxes must be [batch, boxes, 4] and scores [batch, classes, boxes], got " + ctx.inputs());
        }
        if (!boxes.dtype().isFloat() || scores.dtype() != boxes.dtype()) {
            throw ctx.fail("boxes and scores must share one float type, got " + ctx.inputs());
        }
        return List.of(new TensorType(DType.I64, List.of(extent(ctx), Dim.of(3))));
    }
}
