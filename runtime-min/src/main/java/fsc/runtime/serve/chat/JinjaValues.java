package fsc.runtime.serve.chat;

import fsc.runtime.json.Json;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Python semantics for template values. Values are {@code String}, {@code Long}, {@code Double},
 * {@code Boolean}, {@code null} (None), {@code List}, {@code Map}, {@link Namespace} and {@link
 * #UNDEFINED} (a missing variable or key: falsy, renders as nothing, as Jinja's default Undefined).
 */
final class JinjaValues {
    private JinjaValues() {}

    /** A missing name, key or attribute. */
    static final Object UNDEFINED = new Object() {
        @Override
        public String toString() {
            return "";
        }
    };

    /** {@code namespace(…)}: the one mutable value, so {@code set ns.x} can escape a loop's scope. */
    static final class Namespace {
        final Map<String, Object> attrs;

        Namespace(Map<String, Object> attrs) {
            this.attrs = attrs;
        }
    }

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case String s -> !s.isEmpty();
            case Long l -> l != 0;
            case Double d -> d != 0;
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> v != UNDEFINED;
        };
    }

    /** Python's str(), which is what {@code {{ }}} prints. */
    static String str(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> s;
            case Boolean b -> b ? "True" : "False";
            case Double d ->
                d == Math.rint(d) && !Double.isInfinite(d) ? String.format(Locale.ROOT, "%.1f", d) : d.toString();
            case List<?> l -> repr(l);
            case Map<?, ?> m -> repr(m);
            default -> v.toString();
        };
    }

    private static String repr(Object v) {
        return switch (v) {
            case String s -> "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
            case List<?> l -> {
                StringBuilder b = new StringBuilder("[");
                for (int i = 0; i < l.size(); i++) {
                    b.append(i > 0 ? ", " : "").append(repr(l.get(i)));
                }
                yield b.append(']').toString();
            }
            case Map<?, ?> m -> {
                StringBuilder b = new StringBuilder("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    b.append(first ? "" : ", ")
                            .append(repr(e.getKey()))
                            .append(": ")
                            .append(repr(e.getValue()));
                    first = false;
                }
                yield b.append('}').toString();
            }
            default -> str(v);
        };
    }

    static String toJson(Object v) {
        return Json.write(v == UNDEFINED ? null : v instanceof Namespace n ? n.attrs : v);
    }

    static boolean equal(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y && !(a instanceof Boolean) && !(b instanceof Boolean)) {
            return x.doubleValue() == y.doubleValue();
        }
        return Objects.equals(a, b);
    }

    static int compare(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        if (a instanceof String x && b instanceof String y) {
            return x.compareTo(y);
        }
        throw new TemplateException("cannot compare " + type(a) + " with " + type(b));
    }

    static String type(Object v) {
        return switch (v) {
            case null -> "none";
            case String s -> "string";
            case Long l -> "integer";
            case Double d -> "float";
            case Boolean b -> "boolean";
            case List<?> l -> "list";
            case Map<?, ?> m -> "mapping";
            case Namespace n -> "namespace";
            default -> v == UNDEFINED ? "undefined" : v.getClass().getSimpleName();
        };
    }

    static long integer(Object v, String what) {
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw new TemplateException(what + " must be an integer, got " + type(v));
    }
}
