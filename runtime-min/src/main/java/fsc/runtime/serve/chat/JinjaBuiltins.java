package fsc.runtime.serve.chat;

import static fsc.runtime.serve.chat.JinjaValues.UNDEFINED;
import static fsc.runtime.serve.chat.JinjaValues.str;
import static fsc.runtime.serve.chat.JinjaValues.type;

import fsc.runtime.serve.chat.JinjaValues.Namespace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Attribute and index access, operators, filters, tests and the methods of strings, lists and mappings. */
final class JinjaBuiltins {
    private JinjaBuiltins() {}

    static Object attribute(Object target, String name) {
        return switch (target) {
            case Map<?, ?> m -> m.containsKey(name) ? m.get(name) : UNDEFINED;
            case Namespace ns -> ns.attrs.containsKey(name) ? ns.attrs.get(name) : UNDEFINED;
            default -> UNDEFINED;
        };
    }

    static Object index(Object target, Object key) {
        switch (target) {
            case Map<?, ?> m -> {
                return m.containsKey(str(key)) ? m.get(str(key)) : UNDEFINED;
            }
            case Namespace ns -> {
                return attribute(ns, str(key));
            }
            case List<?> l -> {
                long i = JinjaValues.integer(key, "a list index");
                long at = i < 0 ? l.size() + i : i;
                return at >= 0 && at < l.size() ? l.get((int) at) : UNDEFINED;
            }
            case String s -> {
                long i = JinjaValues.integer(key, "a string index");
                long at = i < 0 ? s.length() + i : i;
                return at >= 0 && at < s.length() ? String.valueOf(s.charAt((int) at)) : UNDEFINED;
            }
            default -> {
                return UNDEFINED;
            }
        }
    }

    /** Python slicing of lists and strings ({@code messages[1:]}, {@code s[::-1]}). */
    static Object slice(Object target, Object start, Object stop, Object step) {
        int n = target instanceof List<?> l ? l.size() : target instanceof String s ? s.length() : -1;
        if (n < 0) {
            throw new TemplateException("cannot slice " + type(target));
        }
        long st = step == null ? 1 : JinjaValues.integer(step, "a slice step");
        if (st == 0) {
            throw new TemplateException("slice step cannot be zero");
        }
        long a = bound(start, st > 0 ? 0 : n - 1, n, st);
        long b = bound(stop, st > 0 ? n : -1, n, st);
        List<Object> items = new ArrayList<>();
        StringBuilder chars = new StringBuilder();
        for (long i = a; st > 0 ? i < b : i > b; i += st) {
            if (target instanceof List<?> l) {
                items.add(l.get((int) i));
            } else {
                chars.append(((String) target).charAt((int) i));
            }
        }
        return target instanceof List<?> ? items : chars.toString();
    }

    private static long bound(Object v, long dflt, int n, long step) {
        if (v == null) {
            return dflt;
        }
        long i = JinjaValues.integer(v, "a slice bound");
        if (i < 0) {
            i += n;
        }
        return step > 0 ? Math.max(0, Math.min(n, i)) : Math.max(-1, Math.min(n - 1, i));
    }

    static List<?> iterate(Object v) {
        return switch (v) {
            case List<?> l -> l;
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s ->
                Arrays.asList(s.chars().mapToObj(c -> String.valueOf((char) c)).toArray());
            case null -> throw new TemplateException("cannot iterate over none");
            default -> {
                if (v == UNDEFINED) {
                    yield List.of();
                }
                throw new TemplateException("cannot iterate over " + type(v));
            }
        };
    }

    static boolean contains(Object container, Object item) {
        return switch (container) {
            case String s -> item instanceof String x && s.contains(x);
            case List<?> l -> l.stream().anyMatch(e -> JinjaValues.equal(e, item));
            case Map<?, ?> m -> m.containsKey(str(item));
            default -> {
                if (container == UNDEFINED) {
                    yield false;
                }
                throw new TemplateException("'in' needs a string, list or mapping, got " + type(container));
            }
        };
    }

    static Object arithmetic(String op, Object l, Object r) {
        if (op.equals("+")) {
            if (l instanceof String a && r instanceof String b) {
                return a + b;
            }
            if (l instanceof List<?> a && r instanceof List<?> b) {
                List<Object> out = new ArrayList<>(a);
                out.addAll(b);
                return out;
            }
        }
        if (op.equals("*") && l instanceof String s && r instanceof Long k) {
            return s.repeat((int) Math.max(0, Math.min(k, 100_000)));
        }
        if (!(l instanceof Number a) || !(r instanceof Number b) || l instanceof Boolean || r instanceof Boolean) {
            throw new TemplateException("unsupported operand types for " + op + ": " + type(l) + " and " + type(r));
        }
        boolean ints = l instanceof Long && r instanceof Long;
        switch (op) {
            case "+" -> {
                return ints ? (Object) (a.longValue() + b.longValue()) : a.doubleValue() + b.doubleValue();
            }
            case "-" -> {
                return ints ? (Object) (a.longValue() - b.longValue()) : a.doubleValue() - b.doubleValue();
            }
            case "*" -> {
                return ints ? (Object) (a.longValue() * b.longValue()) : a.doubleValue() * b.doubleValue();
            }
            case "/" -> {
                if (b.doubleValue() == 0) {
                    throw new TemplateException("division by zero");
                }
                return a.doubleValue() / b.doubleValue();
            }
            case "//", "%" -> {
                if (b.doubleValue() == 0) {
                    throw new TemplateException("division by zero");
                }
                if (ints) {
                    return op.equals("//")
                            ? Math.floorDiv(a.longValue(), b.longValue())
                            : Math.floorMod(a.longValue(), b.longValue());
                }
                double q = Math.floor(a.doubleValue() / b.doubleValue());
                return op.equals("//") ? q : a.doubleValue() - q * b.doubleValue();
            }
            default -> throw new TemplateException("unknown operator " + op);
        }
    }

    static Object filter(String name, Object v, List<Object> args) {
        return switch (name) {
            case "trim" -> str(v).strip();
            case "upper" -> str(v).toUpperCase(Locale.ROOT);
            case "lower" -> str(v).toLowerCase(Locale.ROOT);
            case "capitalize" -> capitalize(str(v));
            case "title" -> title(str(v));
            case "length", "count" ->
                (long)
                        switch (v) {
                            case String s -> s.length();
                            case List<?> l -> l.size();
                            case Map<?, ?> m -> m.size();
                            default -> throw new TemplateException("length of " + type(v));
                        };
            case "string" -> str(v == UNDEFINED ? "" : v);
            case "int" ->
                switch (v) {
                    case Long l -> l;
                    case Double d -> (long) d.doubleValue();
                    case String s -> parseLong(s);
                    default -> 0L;
                };
            case "tojson" -> JinjaValues.toJson(v);
            case "default", "d" ->
                v == UNDEFINED || (args.size() > 1 && JinjaValues.truthy(args.get(1)) && !JinjaValues.truthy(v))
                        ? (args.isEmpty() ? "" : args.get(0))
                        : v;
            case "first" -> index(v instanceof String ? v : List.copyOf(iterate(v)), 0L);
            case "last" -> index(v instanceof String ? v : List.copyOf(iterate(v)), -1L);
            case "list" -> new ArrayList<>(iterate(v));
            case "join" -> {
                String sep = args.isEmpty() ? "" : str(args.get(0));
                StringBuilder b = new StringBuilder();
                for (Object o : iterate(v)) {
                    b.append(b.isEmpty() ? "" : sep).append(str(o));
                }
                yield b.toString();
            }
            case "replace" -> str(v).replace(str(args.get(0)), str(args.get(1)));
            case "items" -> method(v, "items", List.of());
            case "safe", "e", "escape" -> v; // no HTML autoescape in chat templates
            default -> throw new TemplateException("the filter '" + name + "' is not supported");
        };
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static boolean test(String name, Object v, List<Object> args) {
        return switch (name) {
            case "defined" -> v != UNDEFINED;
            case "undefined" -> v == UNDEFINED;
            case "none" -> v == null;
            case "string" -> v instanceof String;
            case "number" -> v instanceof Long || v instanceof Double;
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "mapping" -> v instanceof Map<?, ?> || v instanceof Namespace;
            case "sequence", "iterable" -> v instanceof List<?> || v instanceof String || v instanceof Map<?, ?>;
            case "even" -> JinjaValues.integer(v, "'even'") % 2 == 0;
            case "odd" -> JinjaValues.integer(v, "'odd'") % 2 != 0;
            case "divisibleby" -> JinjaValues.integer(v, "'divisibleby'") % JinjaValues.integer(args.get(0), "") == 0;
            case "equalto", "eq", "sameas" -> JinjaValues.equal(v, args.get(0));
            default -> throw new TemplateException("the test '" + name + "' is not supported");
        };
    }

    /** Methods of Python's str, dict and list that templates call. */
    static Object method(Object target, String name, List<Object> args) {
        if (target instanceof String s) {
            return switch (name) {
                case "strip" -> args.isEmpty() ? s.strip() : stripChars(s, str(args.get(0)), true, true);
                case "lstrip" -> args.isEmpty() ? s.stripLeading() : stripChars(s, str(args.get(0)), true, false);
                case "rstrip" -> args.isEmpty() ? s.stripTrailing() : stripChars(s, str(args.get(0)), false, true);
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "title" -> title(s);
                case "capitalize" -> capitalize(s);
                case "startswith" -> s.startsWith(str(args.get(0)));
                case "endswith" -> s.endsWith(str(args.get(0)));
                case "replace" -> s.replace(str(args.get(0)), str(args.get(1)));
                case "find" -> (long) s.indexOf(str(args.get(0)));
                case "split" -> {
                    List<Object> parts = new ArrayList<>();
                    if (args.isEmpty() || args.get(0) == null) {
                        for (String p : s.strip().split("\\s+")) {
                            if (!p.isEmpty()) {
                                parts.add(p);
                            }
                        }
                    } else {
                        String sep = str(args.get(0));
                        int from = 0;
                        for (int at; (at = s.indexOf(sep, from)) >= 0 && !sep.isEmpty(); from = at + sep.length()) {
                            parts.add(s.substring(from, at));
                        }
                        parts.add(s.substring(from));
                    }
                    yield parts;
                }
                default -> throw new TemplateException("strings have no method '" + name + "' here");
            };
        }
        if (target instanceof Map<?, ?> m) {
            return switch (name) {
                case "items" -> {
                    List<Object> out = new ArrayList<>();
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        out.add(List.of(e.getKey(), e.getValue() == null ? "" : e.getValue()));
                    }
                    yield out;
                }
                case "keys" -> new ArrayList<>(m.keySet());
                case "values" -> new ArrayList<>(m.values());
                case "get" -> {
                    String k = str(args.get(0));
                    yield m.containsKey(k) ? m.get(k) : args.size() > 1 ? args.get(1) : null;
                }
                default -> throw new TemplateException("mappings have no method '" + name + "' here");
            };
        }
        throw new TemplateException(type(target) + " has no method '" + name + "'");
    }

    private static String stripChars(String s, String chars, boolean left, boolean right) {
        int a = 0;
        int b = s.length();
        while (left && a < b && chars.indexOf(s.charAt(a)) >= 0) {
            a++;
        }
        while (right && b > a && chars.indexOf(s.charAt(b - 1)) >= 0) {
            b--;
        }
        return s.substring(a, b);
    }

    private static String capitalize(String s) {
        return s.isEmpty()
                ? s
                : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetterOrDigit(c);
        }
        return b.toString();
    }
}
