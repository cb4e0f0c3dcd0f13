package fsc.ir.text;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.ControlFlow;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Region;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import fsc.ir.ops.KnownValues;
import fsc.ir.ops.Ops;
import fsc.ir.ops.ShapeValues;
import fsc.ir.text.parser.FsirParser;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.ParseTree;

/**
 * Rebuilds a {@link Graph} from a {@code .fsir} parse tree, checking as it goes what the verifier
 * would check, but with the line and column of the offending text: values defined once and before
 * use, known ops, every recorded type equal to what the op's shape rule gives, bodies typed like
 * their fused node, weights present in the side file with the declared type.
 */
final class GraphReader {
    private final String source;
    private final Weights sideFile;
    private final TreeMap<String, Long> symbols = new TreeMap<>();
    private final Literals lit;
    /** Every name defined anywhere in the graph (bodies included), with where: SSA is graph-wide. */
    private final Map<String, Token> definedAt = new HashMap<>();
    /** Every name the file defines, to tell "used before its definition" from "never defined". */
    private final Set<String> definedInFile = new HashSet<>();

    private final TreeMap<String, WeightData> weights = new TreeMap<>();
    private final Set<String> inlineWeights = new HashSet<>();
    private final Map<Value, MemoryPlan.Slot> slots = new IdentityHashMap<>();
    private Token firstPlacement;

    GraphReader(String source, Weights sideFile) {
        this.source = source;
        this.sideFile = sideFile;
        this.lit = new Literals(source, symbols);
    }

    Graph read(FsirParser.GraphContext g) {
        collectDefinitions(g);
        if (g.symbols() != null) {
            for (FsirParser.SymbolBoundContext s : g.symbols().symbolBound()) {
                long bound = lit.parseLong(s.INT().getSymbol(), false);
                if (bound < 1) {
                    throw lit.fail(s.INT().getSymbol(), "symbol " + s.ident().getText() + " needs a bound >= 1");
                }
                if (symbols.put(s.ident().getText(), bound) != null) {
                    throw lit.fail(s, "symbol " + s.ident().getText() + " is declared twice");
                }
            }
        }
        TreeMap<String, String> metadata = new TreeMap<>();
        if (g.metadata() != null) {
            for (FsirParser.EntryContext e : g.metadata().entry()) {
                if (metadata.put(
                                lit.string(e.STRING(0).getSymbol()),
                                lit.string(e.STRING(1).getSymbol()))
                        != null) {
                    throw lit.fail(e, "metadata key " + e.STRING(0).getText() + " is given twice");
                }
            }
        }
        Map<String, Value> scope = new LinkedHashMap<>();
        List<Value> inputs = new ArrayList<>();
        FsirParser.ParamsContext inParams = g.ins;
        FsirParser.ParamsContext outParams = g.outs;
        if (inParams != null) {
            for (FsirParser.TypedValueContext tv : inParams.typedValue()) {
                Value v = define(scope, tv, lit.type(tv.type()));
                place(v, tv, true);
                inputs.add(v);
            }
        }
        KnownValues known = new KnownValues();
        List<Constant> constants = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        for (FsirParser.StmtContext s : g.stmt()) {
            if (s.constant() != null) {
                constants.add(constant(scope, s.constant(), known));
            } else {
                nodes.add(node(scope, s.node(), known, true));
            }
        }
        List<Value> outputs = returned(scope, g.ret(), outParams);
        MemoryPlan plan = plan(g.plan());
        Graph graph = new Graph(
                g.GLOBAL().getText().substring(1),
                inputs,
                outputs,
                constants,
                nodes,
                symbols,
                new Weights(weights),
                metadata,
                plan);
        try {
            fsc.ir.Verifier.verify(graph);
        } catch (FscException e) {
            throw new FscException(source + ": " + e.getMessage(), e.hint());
        }
        return graph;
    }

    private void collectDefinitions(ParseTree t) {
        if (t instanceof FsirParser.TypedValueContext tv) {
            definedInFile.add(tv.VALUE().getText());
        }
        for (int i = 0; i < t.getChildCount(); i++) {
            collectDefinitions(t.getChild(i));
        }
    }

    private Value define(Map<String, Value> scope, FsirParser.TypedValueContext tv, TensorType type) {
        Token name = tv.VALUE().getSymbol();
        Token first = definedAt.putIfAbsent(name.getText(), name);
        if (first != null) {
            throw lit.fail(
                    name,
                    name.getText() + " is defined twice (first at " + first.getLine() + ":"
                            + (first.getCharPositionInLine() + 1) + ")");
        }
        Value v = new Value(name.getText().substring(1), type);
        scope.put(name.getText(), v);
        return v;
    }

    private Value use(Map<String, Value> scope, Token name) {
        Value v = scope.get(name.getText());
        if (v != null) {
            return v;
        }
        if (definedAt.containsKey(name.getText())) {
            throw lit.fail(name, name.getText() + " is not visible here (a region sees only its parameters)");
        }
        if (definedInFile.contains(name.getText())) {
            throw lit.fail(name, name.getText() + " is used before its definition (nodes out of order, or a cycle)");
        }
        throw lit.fail(name, "undefined value " + name.getText());
    }

    private void place(Value v, FsirParser.TypedValueContext tv, boolean allowed) {
        FsirParser.PlacementContext p = tv.placement();
        if (p == null) {
            return;
        }
        if (!allowed) {
            throw lit.fail(p, "an arena placement belongs on a graph input or a top-level node result");
        }
        long offset = placementNumber(p.HEX(0).getSymbol(), "offset");
        long bytes = placementNumber(p.HEX(1).getSymbol(), "size");
        if (bytes > Long.MAX_VALUE - offset) {
            throw lit.fail(p, "an arena slot of " + bytes + " bytes at offset " + offset + " overflows 63 bits");
        }
        slots.put(v, new MemoryPlan.Slot(offset, bytes));
        if (firstPlacement == null) {
            firstPlacement = p.getStart();
        }
    }

    /** A placement's hex offset or size: at most 63 bits, as every arena offset is a Java long. */
    private long placementNumber(Token hex, String what) {
        String digits = hex.getText().substring(2);
        long v;
        try {
            v = Long.parseUnsignedLong(digits, 16);
        } catch (NumberFormatException e) {
            throw lit.fail(hex, "arena " + what + " " + hex.getText() + " does not fit in 64 bits");
        }
        if (v < 0) {
            throw lit.fail(hex, "arena " + what + " " + hex.getText() + " is past the largest arena (2^63 bytes)");
        }
        return v;
    }

    private Constant constant(Map<String, Value> scope, FsirParser.ConstantContext c, KnownValues known) {
        TensorType type = lit.type(c.typedValue().type());
        String name = lit.string(c.STRING().getSymbol());
        WeightData w;
        if (c.constData() != null) {
            if (sideFile.contains(name) || !inlineWeights.add(name)) {
                throw lit.fail(c.STRING().getSymbol(), "weight \"" + name + "\" is defined twice");
            }
            w = lit.data(c.constData(), type);
        } else if (inlineWeights.contains(name)) {
            w = weights.get(name);
        } else if (!sideFile.contains(name)) {
            throw lit.fail(
                    c.STRING().getSymbol(),
                    "weight \"" + name + "\" is not in the weights side file"
                            + (sideFile.byName().isEmpty() ? " (no side file was given)" : ""));
        } else {
            w = sideFile.get(name);
        }
        if (!w.type().equals(fsc.ir.PanelLayout.storageType(type))) {
            throw lit.fail(
                    c.typedValue(),
                    c.typedValue().VALUE().getText() + " is declared " + type + " but weight \"" + name + "\" is "
                            + w.type());
        }
        weights.put(name, w);
        place(null, c.typedValue(), false);
        Value v = define(scope, c.typedValue(), type);
        ShapeValues.fromWeight(w).ifPresent(k -> known.put(v, k));
        return new Constant(v, name);
    }

    private Node node(Map<String, Value> scope, FsirParser.NodeContext n, KnownValues known, boolean topLevel) {
        String op = n.ident().getText();
        boolean fused = op.equals(Node.FUSED);
        if (!fused && !Ops.exists(op)) {
            throw lit.fail(n.ident(), "unknown op '" + op + "'");
        }
        boolean control = ControlFlow.isControlFlow(op);
        if (fused && (n.GLOBAL() == null || n.region().size() != 1)) {
            throw lit.fail(
                    n.ident(),
                    "a fused node is written fused @kind(operands) {attrs} loc(\"...\") { ^(params): ... yield ... }");
        }
        if (!fused && n.GLOBAL() != null) {
            throw lit.fail(n.GLOBAL().getSymbol(), "only fused nodes have an @kind");
        }
        if (!fused && !control && !n.region().isEmpty()) {
            throw lit.fail(n.region(0), "only fused and control-flow nodes have regions");
        }
        if (control && n.region().size() != ControlFlow.regionCount(op)) {
            throw lit.fail(
                    n.ident(),
                    op + " takes " + ControlFlow.regionCount(op) + " regions, got "
                            + n.region().size());
        }
        List<Value> inputs = new ArrayList<>();
        if (n.operands() != null) {
            for (var t : n.operands().VALUE()) {
                inputs.add(use(scope, t.getSymbol()));
            }
        }
        TreeMap<String, Attr> attrs = new TreeMap<>();
        if (n.attrs() != null) {
            for (FsirParser.AttrEntryContext a : n.attrs().attrEntry()) {
                String key = a.ident().getText();
                if (attrs.put(key, lit.attr(a.attr())) != null || (fused && key.equals("kind"))) {
                    throw lit.fail(a, "attribute " + key + " is given twice");
                }
            }
        }
        String name = n.loc() == null ? "" : lit.string(n.loc().STRING().getSymbol());
        String where = name.isEmpty() ? op : "node '" + name + "' (" + op + ")";
        List<FsirParser.TypedValueContext> results = n.params().typedValue();
        List<TensorType> declared =
                results.stream().map(tv -> lit.type(tv.type())).toList();
        Region body = null;
        List<Region> regions = new ArrayList<>();
        List<TensorType> given;
        if (fused) {
            attrs.put("kind", new Attr.Str(n.GLOBAL().getText().substring(1)));
            body = region(n.region(0), inputs, known);
            given = body.results().stream().map(Value::type).toList();
        } else if (control) {
            Node shell = new Node(op, name, inputs, List.of(), attrs);
            for (FsirParser.RegionContext r : n.region()) {
                regions.add(controlRegion(r, shell, known));
            }
            try {
                given = Ops.infer(Node.withRegions(op, name, inputs, List.of(), attrs, regions), known);
            } catch (FscException e) {
                throw new FscException(at(n) + ": " + e.getMessage(), e.hint());
            }
        } else {
            try {
                given = Ops.infer(op, where, inputs, attrs, known);
            } catch (FscException e) {
                throw new FscException(at(n) + ": " + e.getMessage(), e.hint());
            }
        }
        if (given.size() != results.size()) {
            throw lit.fail(
                    n.ident(), where + " gives " + given.size() + " results, " + results.size() + " are declared");
        }
        List<Value> outs = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            FsirParser.TypedValueContext tv = results.get(i);
            if (!declared.get(i).equals(given.get(i))) {
                throw lit.fail(
                        tv,
                        tv.VALUE().getText() + " is declared " + declared.get(i) + " but "
                                + (fused ? "the body yields " : op + " gives ") + given.get(i));
            }
            Value v = define(scope, tv, declared.get(i));
            place(v, tv, topLevel);
            outs.add(v);
        }
        if (fused) {
            return new Node(Node.FUSED, name, inputs, outs, attrs, body);
        }
        if (control) {
            return Node.withRegions(op, name, inputs, outs, attrs, regions);
        }
        ShapeValues.evaluate(op, inputs, attrs, declared, known).ifPresent(k -> known.put(outs.getFirst(), k));
        return new Node(op, name, inputs, outs, attrs);
    }

    /**
     * A control-flow region: its own scope holding only its declared parameters (their types are
     * checked against the op's rules by {@link ControlFlow#infer}); a captured parameter knows what
     * its operand's contents are known to be.
     */
    private Region controlRegion(FsirParser.RegionContext r, Node shell, KnownValues outerKnown) {
        Map<String, Value> scope = new LinkedHashMap<>();
        KnownValues known = new KnownValues();
        List<Value> params = new ArrayList<>();
        List<FsirParser.TypedValueContext> declared =
                r.params() == null ? List.of() : r.params().typedValue();
        for (int i = 0; i < declared.size(); i++) {
            FsirParser.TypedValueContext tv = declared.get(i);
            place(null, tv, false);
            Value p = define(scope, tv, lit.type(tv.type()));
            int captured = ControlFlow.capturedInput(shell, i);
            if (captured >= 0 && captured < shell.inputs().size()) {
                outerKnown.get(shell.input(captured)).ifPresent(k -> known.put(p, k));
            }
            params.add(p);
        }
        List<Node> nodes = new ArrayList<>();
        for (FsirParser.NodeContext n : r.node()) {
            nodes.add(node(scope, n, known, false));
        }
        List<Value> results = new ArrayList<>();
        for (var t : r.operands().VALUE()) {
            results.add(use(scope, t.getSymbol()));
        }
        return new Region(params, nodes, results);
    }

    /** A body: its own scope holding only the parameters, typed like the node's operands. */
    private Region region(FsirParser.RegionContext r, List<Value> operands, KnownValues outerKnown) {
        Map<String, Value> scope = new LinkedHashMap<>();
        KnownValues known = new KnownValues();
        List<Value> params = new ArrayList<>();
        List<FsirParser.TypedValueContext> declared =
                r.params() == null ? List.of() : r.params().typedValue();
        if (declared.size() != operands.size()) {
            throw lit.fail(r, "the body has " + declared.size() + " parameters for " + operands.size() + " operands");
        }
        for (int i = 0; i < declared.size(); i++) {
            FsirParser.TypedValueContext tv = declared.get(i);
            TensorType t = lit.type(tv.type());
            if (!t.equals(operands.get(i).type())) {
                throw lit.fail(
                        tv,
                        "parameter " + tv.VALUE().getText() + " is declared " + t + " but operand " + i + " is "
                                + operands.get(i).type());
            }
            place(null, tv, false);
            Value p = define(scope, tv, t);
            outerKnown.get(operands.get(i)).ifPresent(k -> known.put(p, k));
            params.add(p);
        }
        List<Node> nodes = new ArrayList<>();
        for (FsirParser.NodeContext n : r.node()) {
            nodes.add(node(scope, n, known, false));
        }
        List<Value> results = new ArrayList<>();
        for (var t : r.operands().VALUE()) {
            results.add(use(scope, t.getSymbol()));
        }
        return new Region(params, nodes, results);
    }

    /** The returned values, which must match the signature's result list by name and type. */
    private List<Value> returned(
            Map<String, Value> scope, FsirParser.RetContext ret, FsirParser.ParamsContext signature) {
        List<Value> outputs = new ArrayList<>();
        if (ret.operands() != null) {
            for (var t : ret.operands().VALUE()) {
                outputs.add(use(scope, t.getSymbol()));
            }
        }
        List<FsirParser.TypedValueContext> sig = signature == null ? List.of() : signature.typedValue();
        if (sig.size() != outputs.size()) {
            throw lit.fail(ret, "return gives " + outputs.size() + " values, the signature declares " + sig.size());
        }
        for (int i = 0; i < sig.size(); i++) {
            FsirParser.TypedValueContext tv = sig.get(i);
            String returnedName = ret.operands().VALUE(i).getText();
            if (!tv.VALUE().getText().equals(returnedName)) {
                throw lit.fail(
                        tv,
                        "the signature names result " + i + " " + tv.VALUE().getText() + " but return gives "
                                + returnedName);
            }
            TensorType t = lit.type(tv.type());
            if (!t.equals(outputs.get(i).type())) {
                throw lit.fail(
                        tv,
                        "result " + tv.VALUE().getText() + " is declared " + t + " in the signature but is "
                                + outputs.get(i).type());
            }
            place(null, tv, false);
        }
        return outputs;
    }

    private MemoryPlan plan(FsirParser.PlanContext p) {
        if (p == null) {
            if (firstPlacement != null) {
                throw lit.fail(firstPlacement, "arena placements need a plan {...} header on the graph");
            }
            return null;
        }
        Map<String, Long> fields = new TreeMap<>();
        for (FsirParser.PlanFieldContext f : p.planField()) {
            String key = f.ident().getText();
            if (!List.of("arena_bytes", "naive_bytes", "peak_live_bytes", "alignment")
                    .contains(key)) {
                throw lit.fail(
                        f,
                        "unknown plan field " + key
                                + " (expected arena_bytes, naive_bytes, peak_live_bytes, alignment)");
            }
            if (fields.put(key, lit.parseLong(f.INT().getSymbol(), false)) != null) {
                throw lit.fail(f, "plan field " + key + " is given twice");
            }
        }
        for (String key : List.of("arena_bytes", "naive_bytes", "peak_live_bytes", "alignment")) {
            if (!fields.containsKey(key)) {
                throw lit.fail(p, "the plan lacks " + key);
            }
        }
        long arena = fields.get("arena_bytes");
        for (MemoryPlan.Slot s : slots.values()) {
            if (s.end() > arena) {
                throw lit.fail(p, "an arena slot [" + s.offset() + ", " + s.end() + ") lies past arena_bytes " + arena);
            }
        }
        try {
            return new MemoryPlan(
                    fields.get("arena_bytes"),
                    fields.get("naive_bytes"),
                    fields.get("peak_live_bytes"),
                    Math.toIntExact(fields.get("alignment")),
                    slots);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw lit.fail(p, "bad plan: " + e.getMessage());
        }
    }

    private String at(ParserRuleContext c) {
        return source + ":" + c.getStart().getLine() + ":" + (c.getStart().getCharPositionInLine() + 1);
    }
}
