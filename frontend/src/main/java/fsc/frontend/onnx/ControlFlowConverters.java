package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.frontend.onnx.proto.Onnx.TensorShapeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.Attr;
import fsc.ir.ControlFlow;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Region;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * If, Loop and Scan: each subgraph becomes an IR region ({@link ControlFlow}). A subgraph is
 * imported like the main graph, in a child {@link ImportScope}: every outer-scope name it reads
 * becomes a captured operand of the node and a parameter of the region, so regions read only
 * their parameters. Loop's absent trip count or condition become constants (no limit, true).
 * Scan-8's batch form (a batch axis 0 and time axis 1) becomes a scan over the batch whose body
 * is a Scan-9 over time.
 */
final class ControlFlowConverters {
    private ControlFlowConverters() {}

    static void register(List<OnnxOps.Rule> rules) {
        rules.add(new OnnxOps.Rule("If", 1, ControlFlowConverters::ifNode));
        rules.add(new OnnxOps.Rule("Loop", 1, ControlFlowConverters::loop));
        rules.add(new OnnxOps.Rule("Scan", 8, ControlFlowConverters::scan));
    }

    /** A subgraph imported as a region body: its parameters (then captures) and the outer values captured. */
    record Body(List<Value> params, List<Node> nodes, List<Value> results, Map<Value, Value> captures) {}

    static Body importBody(NodeContext ctx, String attr, List<TensorType> paramTypes) {
        GraphProto g = ctx.attrs.graph(attr).orElseThrow(() -> ctx.fail("needs the subgraph attribute '" + attr + "'"));
        if (g.getInputCount() != paramTypes.size()) {
            throw ctx.fail(attr + " takes " + g.getInputCount() + " inputs, the op passes " + paramTypes.size());
        }
        ImportScope outer = ctx.scope();
        GraphBuilder b = new GraphBuilder(attr);
        ImportScope scope = outer.child(b);
        List<Value> params = new ArrayList<>();
        Set<String> available = new HashSet<>();
        for (int i = 0; i < paramTypes.size(); i++) {
            String name = g.getInput(i).getName();
            Value p = new Value(name, paramTypes.get(i));
            scope.define(name, p);
            params.add(p);
            available.add(name);
        }
        for (TensorProto t : g.getInitializerList()) {
            if (!scope.isDefined(t.getName())) {
                String where = ctx.where + ": " + attr + " initializer '" + t.getName() + "'";
                scope.define(t.getName(), scope.constant(t.getName(), TensorData.toWeight(t, scope.baseDir, where)));
                available.add(t.getName());
            }
        }
        List<NodeProto> nodes = NodeOrder.withoutShadowedConstants(g.getNodeList());
        OnnxOps.checkSupported(nodes, scope.opsets, ctx.where + " " + attr, i -> "#" + i);
        for (NodeProto n : nodes) {
            for (String in : Subgraphs.operandNames(n)) {
                if (!in.isEmpty() && !available.contains(in) && outer.isVisible(in)) {
                    available.add(in);
                }
            }
        }
        String prefix = ctx.label + " " + attr + ": ";
        List<Integer> order =
                NodeOrder.sort(nodes, available, ctx.file(), i -> prefix + OnnxImporter.label(nodes.get(i), i));
        for (int i : order) {
            NodeProto n = nodes.get(i);
            NodeContext inner =
                    new NodeContext(scope, n, prefix + OnnxImporter.label(n, i), scope.opsets.version(n.getDomain()));
            var converter = OnnxOps.find(n.getDomain(), n.getOpType(), inner.opset)
                    .orElseThrow(() -> new IllegalStateException("op " + n.getOpType() + " passed the support check"))
                    .converter();
            try {
                converter.convert(inner);
            } catch (FscException e) {
                throw RuntimeSources.explain(scope, e);
            }
            inner.finish();
        }
        List<Value> results = new ArrayList<>();
        for (ValueInfoProto out : g.getOutputList()) {
            results.add(scope.lookup(out.getName(), ctx.where + ": " + attr + " output '" + out.getName() + "'"));
        }
        return new Body(params, b.nodes(), results, new LinkedHashMap<>(scope.captures()));
    }

    /**
     * The regions of {@code bodies} with one shared capture list: each region gets a parameter per
     * captured outer value (an unused fresh one where that body does not read it).
     */
    private static List<Region> regions(List<Body> bodies, List<Value> captured) {
        for (Body b : bodies) {
            for (Value outer : b.captures().keySet()) {
                if (!captured.contains(outer)) {
                    captured.add(outer);
                }
            }
        }
        List<Region> regions = new ArrayList<>();
        for (Body b : bodies) {
            List<Value> params = new ArrayList<>(b.params());
            for (Value outer : captured) {
                Value p = b.captures().get(outer);
                params.add(p != null ? p : new Value(outer.name(), outer.type()));
            }
            regions.add(new Region(params, b.nodes(), b.results()));
        }
        return regions;
    }

    /** Emits the node, typed by its regions, and defines its ONNX outputs. */
    private static void emit(NodeContext ctx, String op, List<Value> inputs, Map<String, Attr> attrs, List<Region> rs) {
        TreeMap<String, Attr> sorted = new TreeMap<>(attrs);
        List<TensorType> types =
                ControlFlow.infer(Node.withRegions(op, ctx.node.getName(), inputs, List.of(), sorted, rs));
        if (types.size() != ctx.node.getOutputCount()) {
            throw ctx.fail(op + " gives " + types.size() + " outputs, the node names " + ctx.node.getOutputCount());
        }
        List<Value> outs = new ArrayList<>();
        for (int k = 0; k < types.size(); k++) {
            String name = ctx.outputName(k).isEmpty() ? ctx.temp("unused" + k) : ctx.outputName(k);
            outs.add(new Value(name, types.get(k)));
        }
        ctx.scope().builder.add(Node.withRegions(op, ctx.node.getName(), inputs, outs, sorted, rs));
        for (int k = 0; k < outs.size(); k++) {
            ctx.define(k, outs.get(k));
        }
    }

    private static void ifNode(NodeContext ctx) {
        var known = ctx.knownInts(ctx.input(0));
        if (known.isPresent()
                && known.get().size() == 1
                && known.get().getFirst().isFixed()) {
            inline(
                    ctx,
                    importBody(ctx, known.get().getFirst().value() != 0 ? "then_branch" : "else_branch", List.of()));
            return;
        }
        // A condition computed from shapes and constants alone (PyTorch exports test "is this axis 1"
        // before a Squeeze, as silero VAD v5 does): evaluated now, and only the taken branch imported,
        // since the two branches' types differ.
        var computed = ctx.requiredData(ctx.input(0)).filter(w -> w.elementCount() == 1);
        if (computed.isPresent()) {
            boolean taken = fsc.ir.interp.HostTensor.fromWeight(computed.get()).getDouble(0) != 0;
            inline(ctx, importBody(ctx, taken ? "then_branch" : "else_branch", List.of()));
            return;
        }
        Body then = importBody(ctx, "then_branch", List.of());
        Body other = importBody(ctx, "else_branch", List.of());
        List<Value> captured = new ArrayList<>();
        List<Region> rs = regions(List.of(then, other), captured);
        List<Value> inputs = new ArrayList<>();
        inputs.add(ctx.input(0));
        inputs.addAll(captured);
        emit(ctx, ControlFlow.IF, inputs, Map.of(), rs);
    }

    /**
     * An If whose condition import knows (shape arithmetic in expanded functions, e.g. "is the size
     * 4-D"): the taken branch's nodes join the enclosing graph, its captured parameters replaced by
     * the outer values, so later shape arithmetic sees its results (the branches may even differ in
     * type, as ONNX allows).
     */
    private static void inline(NodeContext ctx, Body branch) {
        Map<Value, Value> subst = new java.util.IdentityHashMap<>();
        branch.captures().forEach((outer, param) -> subst.put(param, outer));
        for (Node n : branch.nodes()) {
            List<Value> ins =
                    n.inputs().stream().map(v -> subst.getOrDefault(v, v)).toList();
            ctx.scope().builder.add(n.withInputs(ins));
        }
        for (int k = 0; k < ctx.node.getOutputCount() && k < branch.results().size(); k++) {
            Value r = branch.results().get(k);
            ctx.define(k, subst.getOrDefault(r, r));
        }
        if (branch.results().size() != ctx.node.getOutputCount()) {
            throw ctx.fail("the taken branch yields " + branch.results().size() + " values for "
                    + ctx.node.getOutputCount() + " outputs");
        }
    }

    private static void loop(NodeContext ctx) {
        Value trips = ctx.hasInput(0) ? ctx.input(0) : ctx.constant("max_trip", scalarI64(Long.MAX_VALUE));
        Value cond = ctx.hasInput(1) ? ctx.input(1) : ctx.constant("cond", scalarBool(true));
        List<Value> carried = new ArrayList<>();
        for (int i = 2; i < ctx.node.getInputCount(); i++) {
            carried.add(ctx.input(i));
        }
        List<TensorType> paramTypes = new ArrayList<>();
        paramTypes.add(new TensorType(DType.I64, List.of()));
        paramTypes.add(new TensorType(DType.BOOL, List.of()));
        carried.forEach(v -> paramTypes.add(v.type()));
        Body body = importBody(ctx, "body", paramTypes);
        List<Value> captured = new ArrayList<>();
        List<Region> rs = regions(List.of(body), captured);
        TreeMap<String, Attr> attrs = new TreeMap<>();
        attrs.put("num_carried", new Attr.Int(carried.size()));
        int scans = body.results().size() - 1 - carried.size();
        if (scans > 0) {
            attrs.put("scan_length", new Attr.Int(scanLength(ctx, trips, carried.size(), scans)));
        }
        List<Value> inputs = new ArrayList<>();
        inputs.add(trips);
        inputs.add(cond);
        inputs.addAll(carried);
        inputs.addAll(captured);
        emit(ctx, ControlFlow.LOOP, inputs, attrs, rs);
    }

    /**
     * The rows of a Loop's scan outputs, fixed at compile time: the trip count when import knows it,
     * else a static first dimension declared for a scan output. The generated code checks at run
     * time that the loop ran exactly that many iterations.
     */
    private static long scanLength(NodeContext ctx, Value trips, int carried, int scans) {
        var known = ctx.knownInts(trips);
        if (known.isPresent()
                && known.get().size() == 1
                && known.get().getFirst().isFixed()) {
            return known.get().getFirst().value();
        }
        for (int j = 0; j < scans && carried + j < ctx.node.getOutputCount(); j++) {
            ValueInfoProto v = ctx.scope().declared.get(ctx.outputName(carried + j));
            if (v != null
                    && v.getType().hasTensorType()
                    && v.getType().getTensorType().hasShape()) {
                TensorShapeProto s = v.getType().getTensorType().getShape();
                if (s.getDimCount() > 0 && s.getDim(0).hasDimValue()) {
                    return s.getDim(0).getDimValue();
                }
            }
        }
        throw new fsc.ir.FscException(
                ctx.where + ": the length of its scan outputs depends on run-time values (trip count '" + trips.name()
                        + "', condition) and no static length is declared; fsc needs it at compile time",
                "bind it with --bind " + trips.name() + "=FILE");
    }

    private static void scan(NodeContext ctx) {
        if (ctx.opset < 9) {
            scan8(ctx);
            return;
        }
        int m = (int) (long)
                ctx.attrs.intValue("num_scan_inputs").orElseThrow(() -> ctx.fail("needs attribute 'num_scan_inputs'"));
        int total = ctx.node.getInputCount();
        int states = total - m;
        if (m < 1 || states < 0) {
            throw ctx.fail("num_scan_inputs " + m + " does not fit its " + total + " inputs");
        }
        List<Value> inputs = ctx.inputs();
        long[] inAxes = ctx.attrs.ints("scan_input_axes").orElse(new long[m]);
        long[] inDirs = ctx.attrs.ints("scan_input_directions").orElse(new long[m]);
        if (inAxes.length != m || inDirs.length != m) {
            throw ctx.fail("scan_input_axes/directions need " + m + " entries");
        }
        List<TensorType> paramTypes = new ArrayList<>();
        for (int i = 0; i < states; i++) {
            paramTypes.add(inputs.get(i).type());
        }
        for (int j = 0; j < m; j++) {
            TensorType x = inputs.get(states + j).type();
            inAxes[j] = inAxes[j] < 0 ? inAxes[j] + x.rank() : inAxes[j];
            if (inAxes[j] < 0 || inAxes[j] >= x.rank()) {
                throw ctx.fail("scan input " + j + " " + x + " has no axis " + inAxes[j]);
            }
            List<Dim> slice = new ArrayList<>(x.dims());
            slice.remove((int) inAxes[j]);
            paramTypes.add(x.withDims(slice));
        }
        Body body = importBody(ctx, "body", paramTypes);
        int k = body.results().size() - states;
        long[] outAxes = ctx.attrs.ints("scan_output_axes").orElse(new long[k]);
        long[] outDirs = ctx.attrs.ints("scan_output_directions").orElse(new long[k]);
        if (outAxes.length != k || outDirs.length != k) {
            throw ctx.fail("scan_output_axes/directions need " + k + " entries");
        }
        for (int j = 0; j < k; j++) {
            int rank = body.results().get(states + j).type().rank() + 1;
            outAxes[j] = outAxes[j] < 0 ? outAxes[j] + rank : outAxes[j];
        }
        List<Value> captured = new ArrayList<>();
        List<Region> rs = regions(List.of(body), captured);
        List<Value> all = new ArrayList<>(inputs);
        all.addAll(captured);
        emit(ctx, ControlFlow.SCAN, all, scanAttrs(states, m, inAxes, inDirs, outAxes, outDirs), rs);
    }

    private static Map<String, Attr> scanAttrs(
            int states, int m, long[] inAxes, long[] inDirs, long[] outAxes, long[] outDirs) {
        TreeMap<String, Attr> attrs = new TreeMap<>();
        attrs.put("num_states", new Attr.Int(states));
        attrs.put("num_scan_inputs", new Attr.Int(m));
        attrs.put("scan_input_axes", ints(inAxes));
        attrs.put("scan_input_directions", ints(inDirs));
        attrs.put("scan_output_axes", ints(outAxes));
        attrs.put("scan_output_directions", ints(outDirs));
        return attrs;
    }

    /**
     * Scan-8: inputs {@code (sequence_lens?, states..., scans...)} with a batch axis 0 everywhere and
     * time on axis 1 of scan inputs. Imported as an outer scan over the batch (every input sliced on
     * axis 0, results stacked on axis 0) whose body is a Scan-9 over time.
     */
    private static void scan8(NodeContext ctx) {
        if (ctx.hasInput(0)) {
            throw ctx.fail("Scan-8's sequence_lens (per-batch lengths) is not supported; leave it empty");
        }
        int m = (int) (long)
                ctx.attrs.intValue("num_scan_inputs").orElseThrow(() -> ctx.fail("needs attribute 'num_scan_inputs'"));
        List<Value> inputs = new ArrayList<>();
        for (int i = 1; i < ctx.node.getInputCount(); i++) {
            inputs.add(ctx.input(i));
        }
        int states = inputs.size() - m;
        if (m < 1 || states < 0) {
            throw ctx.fail("num_scan_inputs " + m + " does not fit its " + inputs.size() + " inputs");
        }
        long[] dirs = ctx.attrs.ints("directions").orElse(new long[m]);
        List<TensorType> batchSlices = new ArrayList<>();
        List<TensorType> paramTypes = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            TensorType t = inputs.get(i).type();
            if (t.rank() < (i < states ? 1 : 2)) {
                throw ctx.fail("Scan-8 input " + i + " " + t + " lacks the batch (and time) axes");
            }
            TensorType perBatch = t.withDims(t.dims().subList(1, t.rank()));
            batchSlices.add(perBatch);
            paramTypes.add(
                    i < states ? perBatch : perBatch.withDims(perBatch.dims().subList(1, perBatch.rank())));
        }
        Body body = importBody(ctx, "body", paramTypes);
        List<Value> captured = new ArrayList<>();
        Region innerRegion = regions(List.of(body), captured).getFirst();
        int k = body.results().size() - states;
        // The outer body: parameters for one batch row of every input, then the captures.
        List<Value> outerParams = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            outerParams.add(new Value(inputs.get(i).name() + "_row", batchSlices.get(i)));
        }
        for (Value c : captured) {
            outerParams.add(new Value(c.name(), c.type()));
        }
        long[] zeros = new long[m];
        Map<String, Attr> innerAttrs = scanAttrs(states, m, zeros, dirs, new long[k], new long[k]);
        TreeMap<String, Attr> innerSorted = new TreeMap<>(innerAttrs);
        List<TensorType> innerTypes = ControlFlow.infer(Node.withRegions(
                ControlFlow.SCAN, ctx.node.getName(), outerParams, List.of(), innerSorted, List.of(innerRegion)));
        List<Value> innerOuts = new ArrayList<>();
        for (int j = 0; j < innerTypes.size(); j++) {
            innerOuts.add(new Value(ctx.temp("row" + j), innerTypes.get(j)));
        }
        Node inner = Node.withRegions(
                ControlFlow.SCAN, ctx.node.getName(), outerParams, innerOuts, innerSorted, List.of(innerRegion));
        Region outerRegion = new Region(outerParams, List.of(inner), innerOuts);
        List<Value> all = new ArrayList<>(inputs);
        all.addAll(captured);
        int outs = innerOuts.size();
        emit(
                ctx,
                ControlFlow.SCAN,
                all,
                scanAttrs(
                        0,
                        inputs.size(),
                        new long[inputs.size()],
                        new long[inputs.size()],
                        new long[outs],
                        new long[outs]),
                List.of(outerRegion));
    }

    private static Attr ints(long[] v) {
        List<Long> l = new ArrayList<>();
        for (long x : v) {
            l.add(x);
        }
        return new Attr.Ints(l);
    }

    private static WeightData scalarI64(long v) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        return new WeightData(DType.I64, List.of(), b.flip());
    }

    private static WeightData scalarBool(boolean v) {
        ByteBuffer b = ByteBuffer.allocate(1).put((byte) (v ? 1 : 0));
        return new WeightData(DType.BOOL, List.of(), b.flip());
    }
}
