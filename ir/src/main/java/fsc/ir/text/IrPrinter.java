package fsc.ir.text;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Region;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Prints a graph as {@code .fsir} text (grammar in {@code docs/IR.md}, "Text format"). Output is a
 * pure function of the graph: names come from {@link ValueNames}, attributes and metadata are
 * sorted. A graph's memory plan is real syntax (a {@code plan {...}} header with the totals and an
 * {@code arena[OFFSET +SIZE]} placement after each planned value's type where it is defined), so a
 * parsed dump keeps it. A caller may attach one note per value, printed as a trailing comment after
 * the value's definition, so notes never change what a parser reads. A fused node prints its body
 * between braces: {@code ^(params):}, the body's nodes, then {@code yield results}; a control-flow
 * node prints each of its regions the same way, one block after another ({@code if}: then, else).
 */
public final class IrPrinter {
    private IrPrinter() {}

    public static String print(Graph g) {
        return print(g, v -> null);
    }

    /** Prints with per-value notes; {@code notes} returns null for values without one. */
    public static String print(Graph g, Function<Value, String> notes) {
        ValueNames names = new ValueNames(g);
        StringBuilder out = new StringBuilder();
        out.append("// fsc IR");
        String source = g.metadata().get("source");
        if (source != null) {
            out.append(" · source ").append(oneLine(source));
        }
        String sha = g.metadata().get("sha256");
        if (sha != null) {
            out.append(" sha256 ").append(oneLine(sha));
        }
        out.append('\n');
        out.append("graph @").append(ValueNames.sanitize(g.name())).append('(');
        out.append(g.inputs().stream().map(v -> placed(names, v, plan(g))).collect(Collectors.joining(", ")));
        out.append(") -> (");
        out.append(g.outputs().stream().map(v -> typed(names, v)).collect(Collectors.joining(", ")));
        out.append(")");
        if (!g.symbols().isEmpty()) {
            out.append("\n    symbols {");
            out.append(g.symbols().entrySet().stream()
                    .map(e -> e.getKey() + " <= " + e.getValue())
                    .collect(Collectors.joining(", ")));
            out.append('}');
        }
        if (!g.metadata().isEmpty()) {
            out.append("\n    metadata {");
            out.append(g.metadata().entrySet().stream()
                    .map(e -> quote(e.getKey()) + " = " + quote(e.getValue()))
                    .collect(Collectors.joining(", ")));
            out.append('}');
        }
        MemoryPlan plan = g.plan();
        if (plan != null) {
            out.append("\n    plan {arena_bytes = ").append(plan.arenaBytes());
            out.append(", naive_bytes = ").append(plan.naiveBytes());
            out.append(", peak_live_bytes = ").append(plan.peakLiveBytes());
            out.append(", alignment = ").append(plan.alignment()).append('}');
        }
        out.append(" {\n");
        for (Constant c : g.constants()) {
            StringBuilder line = new StringBuilder("  ")
                    .append(typed(names, c.value()))
                    .append(" = const @")
                    .append(quote(c.weight()));
            out.append(withNote(line, notes.apply(c.value())));
        }
        for (Node n : g.nodes()) {
            out.append(withNote(node(names, n, plan(g), "  "), noteOf(n, notes)));
        }
        out.append("  return ");
        out.append(g.outputs().stream().map(v -> "%" + names.of(v)).collect(Collectors.joining(", ")));
        out.append("\n}\n");
        return out.toString();
    }

    /** Prints with notes from a map (values absent from it get none). */
    public static String print(Graph g, Map<Value, String> notes) {
        return print(g, notes::get);
    }

    private static MemoryPlan plan(Graph g) {
        return g.plan();
    }

    private static StringBuilder node(ValueNames names, Node n, MemoryPlan plan, String indent) {
        StringBuilder line = new StringBuilder(indent);
        line.append(n.outputs().stream().map(v -> placed(names, v, plan)).collect(Collectors.joining(", ")));
        line.append(" = ").append(n.op());
        Map<String, Attr> attrs = n.attrs();
        if (n.isFused()) {
            line.append(" @").append(((Attr.Str) n.attrs().get("kind")).value());
            attrs = new java.util.TreeMap<>(n.attrs());
            attrs.remove("kind");
        }
        line.append('(');
        line.append(n.inputs().stream().map(v -> "%" + names.of(v)).collect(Collectors.joining(", ")));
        line.append(')');
        if (!attrs.isEmpty()) {
            line.append(" {");
            line.append(attrs.entrySet().stream()
                    .map(e -> e.getKey() + " = " + attr(e.getValue()))
                    .collect(Collectors.joining(", ")));
            line.append('}');
        }
        if (!n.name().isEmpty()) {
            line.append(" loc(").append(quote(n.name())).append(')');
        }
        if (n.isFused()) {
            body(names, n.body(), indent, line);
        }
        for (Region r : n.regions()) {
            body(names, r, indent, line);
        }
        return line;
    }

    /** {@code {}, the parameter line, one node per line (nested bodies indented further), {@code yield}, {@code }}. */
    private static void body(ValueNames names, Region body, String indent, StringBuilder out) {
        out.append(" {\n").append(indent).append("  ^(");
        out.append(body.params().stream().map(v -> typed(names, v)).collect(Collectors.joining(", ")));
        out.append("):\n");
        for (Node m : body.nodes()) {
            out.append(node(names, m, null, indent + "    ")).append('\n');
        }
        out.append(indent).append("    yield ");
        out.append(body.results().stream().map(v -> "%" + names.of(v)).collect(Collectors.joining(", ")));
        out.append('\n').append(indent).append('}');
    }

    /** A typed value followed by its arena placement when {@code plan} has one. */
    private static String placed(ValueNames names, Value v, MemoryPlan plan) {
        MemoryPlan.Slot slot = plan == null ? null : plan.slotOf(v);
        String t = typed(names, v);
        if (slot == null) {
            return t;
        }
        return t + " arena[0x" + Long.toHexString(slot.offset()) + " +0x" + Long.toHexString(slot.bytes()) + "]";
    }

    private static String noteOf(Node n, Function<Value, String> notes) {
        List<String> parts = n.outputs().stream()
                .map(notes)
                .filter(s -> s != null && !s.isEmpty())
                .toList();
        return parts.isEmpty() ? null : String.join("; ", parts);
    }

    /** Comment text must not end the line early: control characters become spaces. */
    private static String oneLine(String s) {
        return s.replaceAll("\\p{Cntrl}", " ");
    }

    private static String withNote(StringBuilder line, String note) {
        if (note != null && !note.isEmpty()) {
            line.append("  // ").append(oneLine(note));
        }
        return line.append('\n').toString();
    }

    private static String typed(ValueNames names, Value v) {
        return "%" + names.of(v) + ": " + type(v.type());
    }

    /** {@code f32[B,S,384]}; a scalar is {@code f32[]}. */
    public static String type(TensorType t) {
        return t.toString();
    }

    /** An attribute in text form; see the grammar for how each kind reads back unambiguously. */
    public static String attr(Attr a) {
        return switch (a) {
            case Attr.Int i -> Long.toString(i.value());
            case Attr.Float f -> floatLiteral(f.value());
            case Attr.Str s -> quote(s.value());
            case Attr.Ints i -> i.values().stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
            case Attr.Floats f ->
                f.values().isEmpty()
                        ? "floats[]"
                        : f.values().stream().map(IrPrinter::floatLiteral).collect(Collectors.joining(", ", "[", "]"));
            case Attr.Strs l ->
                l.values().stream().map(IrPrinter::quote).collect(Collectors.joining(", ", "strings[", "]"));
            case Attr.Dims d -> d.values().stream().map(Dim::toString).collect(Collectors.joining(", ", "<", ">"));
            case Attr.Type t -> t.value().irName();
        };
    }

    /**
     * A double that reads back exactly and never looks like an integer: Java's shortest repr
     * ({@code 1.0E-5}, {@code 0.5}), or {@code nan}, {@code inf}, {@code -inf}.
     */
    static String floatLiteral(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return Double.toString(v);
    }

    /** A double-quoted string with {@code \\ \" \n \r \t} and four-hex-digit {@code \\u} escapes for other control characters. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
