package fsc.runtime.serve.chat;

import static fsc.runtime.serve.chat.JinjaValues.UNDEFINED;
import static fsc.runtime.serve.chat.JinjaValues.equal;
import static fsc.runtime.serve.chat.JinjaValues.str;
import static fsc.runtime.serve.chat.JinjaValues.truthy;

import fsc.runtime.serve.chat.JinjaNode.Attr;
import fsc.runtime.serve.chat.JinjaNode.Binary;
import fsc.runtime.serve.chat.JinjaNode.Branch;
import fsc.runtime.serve.chat.JinjaNode.Call;
import fsc.runtime.serve.chat.JinjaNode.Conditional;
import fsc.runtime.serve.chat.JinjaNode.DictLit;
import fsc.runtime.serve.chat.JinjaNode.Expr;
import fsc.runtime.serve.chat.JinjaNode.Filter;
import fsc.runtime.serve.chat.JinjaNode.For;
import fsc.runtime.serve.chat.JinjaNode.If;
import fsc.runtime.serve.chat.JinjaNode.Index;
import fsc.runtime.serve.chat.JinjaNode.ListLit;
import fsc.runtime.serve.chat.JinjaNode.Literal;
import fsc.runtime.serve.chat.JinjaNode.Node;
import fsc.runtime.serve.chat.JinjaNode.Output;
import fsc.runtime.serve.chat.JinjaNode.Set;
import fsc.runtime.serve.chat.JinjaNode.Slice;
import fsc.runtime.serve.chat.JinjaNode.Test;
import fsc.runtime.serve.chat.JinjaNode.Text;
import fsc.runtime.serve.chat.JinjaNode.Unary;
import fsc.runtime.serve.chat.JinjaNode.Var;
import fsc.runtime.serve.chat.JinjaValues.Namespace;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of Jinja2 that chat templates use, parsed once and rendered per request: text, {@code
 * {{ }}}, if/elif/else, for (with {@code loop.*}, tuple targets, a filter and else), set (also
 * {@code ns.attr} on a {@code namespace()}), the usual operators, filters, tests, and the string and
 * mapping methods templates call. Not supported (refused at parse time with the statement named):
 * macros, call blocks, include/extends. Scoping is Jinja's: a {@code set} inside a loop body does
 * not outlive the iteration, which is why templates carry state in a namespace.
 */
public final class JinjaTemplate {
    private static final int MAX_OUTPUT_CHARS = 4 << 20;

    private final List<Node> body;

    private JinjaTemplate(List<Node> body) {
        this.body = body;
    }

    /** @throws TemplateException when the template is not in the subset */
    public static JinjaTemplate parse(String source) {
        return new JinjaTemplate(JinjaParser.parse(source));
    }

    /** A function a template may call: positional arguments, then keyword arguments. */
    @FunctionalInterface
    public interface Function {
        Object call(List<Object> args, Map<String, Object> kwargs);
    }

    /**
     * Renders with {@code variables} (JSON-like values: String, Long, Double, Boolean, null, List,
     * Map, or a {@link Function}).
     */
    public String render(Map<String, Object> variables) {
        Renderer r = new Renderer(variables);
        r.nodes(body);
        return r.out.toString();
    }

    private static final class Renderer {
        final StringBuilder out = new StringBuilder();
        final Deque<Map<String, Object>> scopes = new ArrayDeque<>();

        Renderer(Map<String, Object> variables) {
            Map<String, Object> globals = new HashMap<>(variables);
            globals.putIfAbsent("raise_exception", (Function) (a, k) -> {
                throw new TemplateException(a.isEmpty() ? "the chat template refused the request" : str(a.get(0)));
            });
            globals.putIfAbsent("namespace", (Function) (a, k) -> new Namespace(new LinkedHashMap<>(k)));
            globals.putIfAbsent("range", (Function) (a, k) -> range(a));
            scopes.push(globals);
        }

        void nodes(List<Node> nodes) {
            for (Node n : nodes) {
                node(n);
            }
        }

        void node(Node n) {
            switch (n) {
                case Text t -> append(t.text());
                case Output o -> {
                    Object v = eval(o.expr());
                    append(v == UNDEFINED ? "" : str(v));
                }
                case If i -> {
                    for (Branch b : i.branches()) {
                        if (truthy(eval(b.condition()))) {
                            nodes(b.body());
                            return;
                        }
                    }
                    nodes(i.otherwise());
                }
                case For f -> loop(f);
                case Set s -> {
                    Object v = eval(s.value());
                    if (s.attr() == null) {
                        scopes.peek().put(s.name(), v);
                    } else if (lookup(s.name()) instanceof Namespace ns) {
                        ns.attrs.put(s.attr(), v);
                    } else {
                        throw new TemplateException("'" + s.name() + "' is not a namespace: cannot set ." + s.attr());
                    }
                }
            }
        }

        void append(String s) {
            if (out.length() + s.length() > MAX_OUTPUT_CHARS) {
                throw new TemplateException("the rendered prompt exceeds " + MAX_OUTPUT_CHARS + " characters");
            }
            out.append(s);
        }

        void loop(For f) {
            List<Object> items = new ArrayList<>();
            for (Object item : JinjaBuiltins.iterate(eval(f.iterable()))) {
                if (f.filter() == null || truthyWith(f, item)) {
                    items.add(item);
                }
            }
            if (items.isEmpty()) {
                nodes(f.otherwise());
                return;
            }
            for (int i = 0; i < items.size(); i++) {
                Map<String, Object> scope = new HashMap<>();
                bind(f, items.get(i), scope);
                Map<String, Object> loop = new HashMap<>();
                loop.put("index", (long) i + 1);
                loop.put("index0", (long) i);
                loop.put("revindex", (long) (items.size() - i));
                loop.put("revindex0", (long) (items.size() - i - 1));
                loop.put("first", i == 0);
                loop.put("last", i == items.size() - 1);
                loop.put("length", (long) items.size());
                loop.put("previtem", i > 0 ? items.get(i - 1) : UNDEFINED);
                loop.put("nextitem", i + 1 < items.size() ? items.get(i + 1) : UNDEFINED);
                scope.put("loop", loop);
                scopes.push(scope);
                try {
                    nodes(f.body());
                } finally {
                    scopes.pop();
                }
            }
        }

        boolean truthyWith(For f, Object item) {
            Map<String, Object> scope = new HashMap<>();
            bind(f, item, scope);
            scopes.push(scope);
            try {
                return truthy(eval(f.filter()));
            } finally {
                scopes.pop();
            }
        }

        void bind(For f, Object item, Map<String, Object> scope) {
            if (f.targets().size() == 1) {
                scope.put(f.targets().getFirst(), item);
                return;
            }
            if (!(item instanceof List<?> tuple) || tuple.size() != f.targets().size()) {
                throw new TemplateException("cannot unpack " + JinjaValues.type(item) + " into " + f.targets());
            }
            for (int k = 0; k < tuple.size(); k++) {
                scope.put(f.targets().get(k), tuple.get(k));
            }
        }

        Object lookup(String name) {
            for (Map<String, Object> s : scopes) {
                if (s.containsKey(name)) {
                    return s.get(name);
                }
            }
            return UNDEFINED;
        }

        Object eval(Expr e) {
            return switch (e) {
                case Literal l -> l.value();
                case Var v -> lookup(v.name());
                case Attr a -> JinjaBuiltins.attribute(eval(a.target()), a.name());
                case Index i -> JinjaBuiltins.index(eval(i.target()), eval(i.index()));
                case Slice s ->
                    JinjaBuiltins.slice(eval(s.target()), optional(s.start()), optional(s.stop()), optional(s.step()));
                case Call c -> call(c);
                case Filter f -> JinjaBuiltins.filter(f.name(), eval(f.target()), values(f.args()));
                case Test t -> t.negated() != JinjaBuiltins.test(t.name(), eval(t.target()), values(t.args()));
                case Unary u ->
                    switch (u.op()) {
                        case "not" -> !truthy(eval(u.operand()));
                        case "-" -> JinjaBuiltins.arithmetic("-", 0L, eval(u.operand()));
                        default -> throw new IllegalStateException("unary " + u.op());
                    };
                case Binary b -> binary(b);
                case Conditional c -> truthy(eval(c.condition())) ? eval(c.then()) : eval(c.otherwise());
                case ListLit l -> values(l.items());
                case DictLit d -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    for (int k = 0; k < d.keys().size(); k++) {
                        m.put(str(eval(d.keys().get(k))), eval(d.values().get(k)));
                    }
                    yield m;
                }
            };
        }

        Object optional(Expr e) {
            return e == null ? null : eval(e);
        }

        List<Object> values(List<Expr> exprs) {
            List<Object> out = new ArrayList<>(exprs.size());
            for (Expr x : exprs) {
                out.add(eval(x));
            }
            return out;
        }

        Object call(Call c) {
            List<Object> args = values(c.args());
            Map<String, Object> kwargs = new LinkedHashMap<>();
            for (int k = 0; k < c.kwNames().size(); k++) {
                kwargs.put(c.kwNames().get(k), eval(c.kwValues().get(k)));
            }
            if (c.function() instanceof Attr a) {
                Object target = eval(a.target());
                if (!(target instanceof Map<?, ?> m && m.get(a.name()) instanceof Function)) {
                    return JinjaBuiltins.method(target, a.name(), args);
                }
            }
            Object f = eval(c.function());
            if (f instanceof Function fn) {
                return fn.call(args, kwargs);
            }
            throw new TemplateException(describe(c.function()) + " is not a function");
        }

        static String describe(Expr e) {
            return e instanceof Var v ? "'" + v.name() + "'" : "the called value";
        }

        Object binary(Binary b) {
            switch (b.op()) {
                case "and" -> {
                    Object l = eval(b.left());
                    return truthy(l) ? eval(b.right()) : l;
                }
                case "or" -> {
                    Object l = eval(b.left());
                    return truthy(l) ? l : eval(b.right());
                }
                default -> {}
            }
            Object l = eval(b.left());
            Object r = eval(b.right());
            return switch (b.op()) {
                case "==" -> equal(l, r);
                case "!=" -> !equal(l, r);
                case "<" -> JinjaValues.compare(l, r) < 0;
                case ">" -> JinjaValues.compare(l, r) > 0;
                case "<=" -> JinjaValues.compare(l, r) <= 0;
                case ">=" -> JinjaValues.compare(l, r) >= 0;
                case "in" -> JinjaBuiltins.contains(r, l);
                case "~" -> str(l == UNDEFINED ? "" : l) + str(r == UNDEFINED ? "" : r);
                default -> JinjaBuiltins.arithmetic(b.op(), l, r);
            };
        }

        static List<Object> range(List<Object> a) {
            long start = 0;
            long stop;
            long step = 1;
            if (a.size() == 1) {
                stop = JinjaValues.integer(a.get(0), "range()");
            } else if (a.size() >= 2) {
                start = JinjaValues.integer(a.get(0), "range()");
                stop = JinjaValues.integer(a.get(1), "range()");
                if (a.size() > 2) {
                    step = JinjaValues.integer(a.get(2), "range()");
                }
            } else {
                throw new TemplateException("range() needs 1 to 3 arguments");
            }
            if (step == 0 || Math.abs((stop - start) / step) > 100_000) {
                throw new TemplateException("range(" + a + ") is too long or has step 0");
            }
            List<Object> out = new ArrayList<>();
            for (long v = start; step > 0 ? v < stop : v > stop; v += step) {
                out.add(v);
            }
            return out;
        }
    }
}
