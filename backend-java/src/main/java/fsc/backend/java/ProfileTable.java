package fsc.backend.java;

import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code fsc/nodes.json}: one entry per profiling slot (the node methods {@code run} calls, in call
 * order, see {@link ProfileHook}) with the IR node's index, ONNX name, op, and its FLOPs and bytes as
 * polynomials in the graph's symbols ({@link NodeCost}), so {@code fsc profile} can turn a jar's
 * per-slot times into GFLOP/s and GB/s for whatever sizes it ran. Also, per integer input that
 * indexes a table ({@code gather} rows), the valid range, so a benchmark can draw token ids the
 * model accepts. Written by hand with keys in a fixed order, like {@link ModelJson}.
 */
final class ProfileTable {
    private ProfileTable() {}

    /** The nodes that get a call in {@code run}, in order: slot {@code i} is the i-th of them. */
    static List<Node> slots(Graph g, ModelContext ctx) {
        return g.nodes().stream().filter(n -> !ctx.isAbsorbed(n)).toList();
    }

    static String json(Graph g, ModelContext ctx) {
        List<Node> nodes = g.nodes();
        List<String> entries = new ArrayList<>();
        int slot = 0;
        for (Node n : slots(g, ctx)) {
            NodeCost.Cost c = NodeCost.of(n, false);
            Poly flops = c.flops();
            Poly bytes = c.bytes();
            String op = n.isFused() ? "fused:" + ((fsc.ir.Attr.Str) n.attrs().get("kind")).value() : n.op();
            EpilogueFusion.Epilogue ep = ctx.epilogue(n);
            if (ep != null) {
                // The absorbed bias add / activation run in the GEMM's epilogue: their arithmetic and
                // extra operands (the bias row) belong to this slot; the intermediate never hits memory.
                Set<Value> chain = new java.util.HashSet<>(n.outputs());
                StringBuilder ops = new StringBuilder(op);
                for (Node a : ep.absorbed()) {
                    Poly f = NodeCost.flops(a);
                    flops = flops == null || f == null ? null : flops.plus(f);
                    for (Value in : a.inputs()) {
                        if (!chain.contains(in)) {
                            bytes = bytes.plus(NodeCost.bytesOf(in));
                        }
                    }
                    chain.addAll(a.outputs());
                    ops.append('+').append(a.op());
                }
                op = ops.toString();
            }
            // Extent symbols have no value the profiler can bind from the inputs: cost them at their bound.
            java.util.SortedMap<String, Long> extents = new java.util.TreeMap<>();
            fsc.ir.ops.ExtentOps.symbols(g)
                    .forEach(e -> extents.put(e, g.symbols().get(e)));
            flops = flops == null ? null : flops.atBounds(extents);
            bytes = bytes.atBounds(extents);
            entries.add("    {\"slot\": " + slot++ + ", \"node\": " + nodes.indexOf(n) + ", \"op\": "
                    + ModelJson.str(op)
                    + ", \"name\": " + ModelJson.str(n.name()) + ", \"output\": "
                    + ModelJson.str(
                            n.outputs().isEmpty() ? "" : n.outputs().getFirst().toString())
                    + ", \"flops\": " + (flops == null ? "null" : flops.json()) + ", \"bytes\": " + bytes.json() + "}");
        }
        return "{\n  \"slots\": [\n" + String.join(",\n", entries) + "\n  ],\n  \"inputRanges\": {" + inputRanges(g)
                + "}\n}\n";
    }

    /** {@code "input_ids": [0, 30522]}: integer inputs used as gather/embedding indices into a fixed-size table. */
    private static String inputRanges(Graph g) {
        List<String> out = new ArrayList<>();
        for (Value in : g.inputs()) {
            if (!in.dtype().isInteger()) {
                continue;
            }
            long limit = Long.MAX_VALUE;
            for (Node n : g.nodes()) {
                if ((n.op().equals("gather") || n.op().equals("embedding"))
                        && n.inputs().size() > 1
                        && n.input(1) == in) {
                    int axis = n.op().equals("embedding") ? 0 : (int) n.intAttr("axis");
                    var table = n.input(0).type();
                    if (axis < 0) {
                        axis += table.rank();
                    }
                    Dim rows = table.dim(axis);
                    if (rows.isFixed()) {
                        limit = Math.min(limit, rows.value());
                    }
                }
            }
            if (limit != Long.MAX_VALUE) {
                out.add(ModelJson.str(in.name()) + ": [0, " + limit + "]");
            }
        }
        return out.stream().collect(Collectors.joining(", "));
    }
}
