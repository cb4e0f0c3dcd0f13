package fsc.ir.ops;

import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** The registry of every IR op, sorted by name. Immutable: built once from the op families. */
public final class Ops {
    private Ops() {}

    /**
     * Trigonometric and hyperbolic functions: float-only unary ops, listed once for the op table, the
     * interpreter and the backends. Declared before {@code BY_NAME}, whose build reads it.
     */
    public static final List<String> TRIG_AND_HYPERBOLIC =
            List.of("tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh");

    private static final SortedMap<String, OpDef> BY_NAME = build();

    /** The two-input element-wise ops (broadcasting arithmetic, comparison, logic, bitwise, shifts). */
    public static List<String> elementwiseBinary() {
        return withTrait(OpTrait.BINARY);
    }

    /** The one-input ops that map each element on its own (math, rounding, activations, not). */
    public static List<String> elementwiseMaps() {
        return withTrait(OpTrait.UNARY_MAP);
    }

    /**
     * The declared default of {@code op}'s attribute {@code name}: what a reader gets when the node
     * does not set it. A broken invariant (not a user error) when the op does not declare the
     * attribute, or declares it without a default (then the reader must ask {@link Node#has} first).
     */
    public static Attr defaultAttr(String op, String name) {
        AttrSpec s = declared(op, name);
        if (s.dflt() == null) {
            throw new IllegalStateException("op '" + op + "' declares attribute '" + name
                    + "' without a default; a reader must check that it is set");
        }
        return s.dflt();
    }

    /**
     * {@code attrs}' value of {@code name}, or the declared default of {@code op}'s attribute: for
     * readers that hold an attribute map rather than a {@link Node} (the shape-value folder, windows).
     */
    public static Attr attrOrDefault(String op, Map<String, Attr> attrs, String name) {
        Attr a = attrs.get(name);
        return a != null ? a : defaultAttr(op, name);
    }

    /** The spec of {@code op}'s attribute {@code name}; a broken invariant when it is not declared. */
    public static AttrSpec declared(String op, String name) {
        OpDef d = BY_NAME.get(op);
        if (d == null) {
            throw new IllegalStateException("attribute '" + name + "' read from '" + op + "', which is no op");
        }
        return d.attrSchema()
                .spec(name)
                .orElseThrow(() -> new IllegalStateException("op '" + op + "' declares no attribute '" + name + "'"));
    }

    /** The names of the ops that declare {@code trait}, sorted. */
    public static List<String> withTrait(OpTrait trait) {
        return BY_NAME.values().stream()
                .filter(d -> d.traits().contains(trait))
                .map(OpDef::name)
                .toList();
    }

    /** Whether {@code op} is a registered op that declares {@code trait}. */
    public static boolean hasTrait(String op, OpTrait trait) {
        OpDef d = BY_NAME.get(op);
        return d != null && d.traits().contains(trait);
    }

    private static SortedMap<String, OpDef> build() {
        List<OpDef> defs = new ArrayList<>();
        defs.addAll(ElementwiseOps.defs());
        defs.addAll(LayoutOps.defs());
        defs.add(SliceOp.def());
        defs.addAll(IndexOps.defs());
        defs.addAll(LinalgOps.defs());
        defs.addAll(QuantOps.defs());
        defs.addAll(QuantLinearOps.defs());
        defs.addAll(ReduceOps.defs());
        defs.addAll(IndexingOps.defs());
        defs.addAll(ExtentOps.defs());
        defs.addAll(ConvOps.defs());
        defs.addAll(AttentionOps.defs());
        defs.addAll(LlmOps.defs());
        defs.addAll(SamplingOps.defs());
        defs.addAll(StringOps.defs());
        defs.addAll(SequenceOps.defs());
        defs.addAll(TextOps.defs());
        defs.addAll(TreeOps.defs());
        defs.addAll(ControlFlowOps.defs());
        TreeMap<String, OpDef> byName = new TreeMap<>();
        for (OpDef d : defs) {
            if (byName.put(d.name(), d) != null) {
                throw new IllegalStateException("op '" + d.name() + "' is defined twice");
            }
        }
        return Collections.unmodifiableSortedMap(byName);
    }

    /** The definition of {@code op}; a user error when there is none. */
    public static OpDef get(String op) {
        OpDef d = BY_NAME.get(op);
        if (d == null) {
            throw new FscException("unknown op '" + op + "'");
        }
        return d;
    }

    /** Whether {@code op} may take or make a sequence or optional value (see {@link fsc.ir.Container}). */
    public static boolean takesContainers(String op) {
        return SequenceOps.takesContainers(op);
    }

    public static boolean exists(String op) {
        return BY_NAME.containsKey(op);
    }

    /** Every op, sorted by name. */
    public static List<OpDef> all() {
        return List.copyOf(BY_NAME.values());
    }

    /**
     * Output types of {@code op} applied to {@code inputs}: checks the arity, looks up the known
     * contents of each operand in {@code known} and runs the shape rule.
     *
     * @param where location for diagnostics, e.g. {@link Node#where()}
     */
    public static List<TensorType> infer(
            String op, String where, List<Value> inputs, Map<String, Attr> attrs, KnownValues known) {
        OpDef def;
        try {
            def = get(op);
        } catch (FscException e) {
            throw new FscException(where + ": unknown op '" + op + "'");
        }
        int n = inputs.size();
        if (n < def.minInputs() || (def.maxInputs() >= 0 && n > def.maxInputs())) {
            throw new FscException(where + ": " + op + " takes " + arity(def) + ", got " + n);
        }
        List<Optional<List<Dim>>> knownInts = new ArrayList<>();
        for (Value v : inputs) {
            knownInts.add(known.get(v));
        }
        if (!SequenceOps.takesContainers(op)) {
            for (int i = 0; i < n; i++) {
                if (!inputs.get(i).type().isTensor()) {
                    throw new FscException(where + ": operand " + i + " %"
                            + inputs.get(i).name() + " is "
                            + inputs.get(i).type() + "; " + op + " takes tensors (only the sequence and optional"
                            + " ops take containers)");
                }
            }
        }
        Optional<String> problem = def.attrSchema().problem(attrs);
        if (problem.isPresent()) {
            throw new FscException(where + ": " + problem.get());
        }
        InferContext ctx =
                new InferContext(op, where, inputs.stream().map(Value::type).toList(), new TreeMap<>(attrs), knownInts);
        try {
            return def.infer(ctx);
        } catch (InferContext.RuntimeOperand e) {
            Value v = inputs.get(e.index);
            throw new FscException(
                    where + ": " + e.role + " (input " + e.index + ", value '" + v.name()
                            + "') is computed at run time, so the output type is unknown at compile time",
                    "bind it with --bind " + v.name() + "=FILE");
        }
    }

    /**
     * {@link #infer(String, String, List, Map, KnownValues)} for an existing node. A fused node's
     * output types are its body's result types (the {@link fsc.ir.Verifier} checks the body).
     */
    public static List<TensorType> infer(Node node, KnownValues known) {
        if (node.isFused()) {
            return node.body().results().stream().map(Value::type).toList();
        }
        if (node.hasRegions() || fsc.ir.ControlFlow.isControlFlow(node.op())) {
            return fsc.ir.ControlFlow.infer(node);
        }
        return infer(node.op(), node.where(), node.inputs(), node.attrs(), known);
    }

    private static String arity(OpDef d) {
        if (d.maxInputs() < 0) {
            return "at least " + d.minInputs() + " inputs";
        }
        if (d.minInputs() == d.maxInputs()) {
            return d.minInputs() + (d.minInputs() == 1 ? " input" : " inputs");
        }
        return d.minInputs() + " to " + d.maxInputs() + " inputs";
    }
}
