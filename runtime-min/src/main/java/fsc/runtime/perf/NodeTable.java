package fsc.runtime.perf;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled model's {@value ProfiledModel#NODES_ENTRY}: what each profiling slot runs (IR node
 * index, op, ONNX name, output) and its FLOPs and bytes as sums of monomials over the graph's
 * symbols, plus the valid range of integer inputs that index a table. Written by the Java backend's
 * {@code ProfileTable}.
 */
public record NodeTable(List<Slot> slots, Map<String, long[]> inputRanges) {
    /** One monomial: {@code coeff × symbols...}. */
    public record Term(double coeff, List<String> symbols) {
        double evaluate(Map<String, Long> binding) {
            double v = coeff;
            for (String s : symbols) {
                Long b = binding.get(s);
                if (b == null) {
                    throw new RuntimeFailure(ProfiledModel.NODES_ENTRY + ": symbol " + s + " has no value");
                }
                v *= b;
            }
            return v;
        }
    }

    /** One slot; {@code flops} is null when the op has no cost model. */
    public record Slot(int slot, int node, String op, String name, String output, List<Term> flops, List<Term> bytes) {
        /** FLOPs for the call's symbol values, or NaN when unknown. */
        public double flops(Map<String, Long> binding) {
            return flops == null ? Double.NaN : sum(flops, binding);
        }

        public double bytes(Map<String, Long> binding) {
            return sum(bytes, binding);
        }

        private static double sum(List<Term> terms, Map<String, Long> binding) {
            double s = 0;
            for (Term t : terms) {
                s += t.evaluate(binding);
            }
            return s;
        }
    }

    /** The table of the model jar {@code loader} reads classes from, or null when it has none (an older jar). */
    public static NodeTable load(ClassLoader loader) {
        try (InputStream in = loader.getResourceAsStream(ProfiledModel.NODES_ENTRY)) {
            return in == null ? null : parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read " + ProfiledModel.NODES_ENTRY + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    public static NodeTable parse(String text) {
        try {
            Map<String, Object> doc = (Map<String, Object>) Json.parse(text);
            List<Slot> slots = new ArrayList<>();
            for (Object o : (List<Object>) doc.get("slots")) {
                Map<String, Object> m = (Map<String, Object>) o;
                slots.add(new Slot(
                        ((Number) m.get("slot")).intValue(),
                        ((Number) m.get("node")).intValue(),
                        (String) m.get("op"),
                        (String) m.get("name"),
                        (String) m.get("output"),
                        m.get("flops") == null ? null : terms((List<Object>) m.get("flops")),
                        terms((List<Object>) m.get("bytes"))));
            }
            Map<String, long[]> ranges = new LinkedHashMap<>();
            Object r = doc.get("inputRanges");
            if (r != null) {
                ((Map<String, Object>) r).forEach((k, v) -> {
                    List<Object> lim = (List<Object>) v;
                    ranges.put(k, new long[] {((Number) lim.get(0)).longValue(), ((Number) lim.get(1)).longValue()});
                });
            }
            return new NodeTable(List.copyOf(slots), ranges);
        } catch (ClassCastException | NullPointerException e) {
            throw new RuntimeFailure(ProfiledModel.NODES_ENTRY + " is malformed: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Term> terms(List<Object> list) {
        List<Term> out = new ArrayList<>();
        for (Object o : list) {
            List<Object> t = (List<Object>) o;
            List<String> syms = new ArrayList<>();
            for (int i = 1; i < t.size(); i++) {
                syms.add((String) t.get(i));
            }
            out.add(new Term(((Number) t.get(0)).doubleValue(), List.copyOf(syms)));
        }
        return List.copyOf(out);
    }
}
