package fsc.backend.java;

import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Value;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code fsc/model.json}: what a tool needs to call the model without loading it (inputs, outputs,
 * element types, dimensions with symbols, symbol bounds). Written by hand, keys in a fixed order.
 */
final class ModelJson {
    private ModelJson() {}

    static String of(Graph g, JavaBackendOptions opts) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"name\": ").append(str(g.name())).append(",\n");
        b.append("  \"modelClass\": ").append(str(opts.qualifiedClassName())).append(",\n");
        b.append("  \"source\": ").append(str(opts.sourceLabel())).append(",\n");
        b.append("  \"sourceSha256\": ").append(str(opts.sourceSha256())).append(",\n");
        b.append("  \"fscVersion\": ").append(str(opts.fscVersion())).append(",\n");
        b.append("  \"inputs\": ").append(values(g.inputs())).append(",\n");
        b.append("  \"outputs\": ").append(values(g.outputs())).append(",\n");
        b.append("  \"symbols\": {");
        b.append(g.symbols().entrySet().stream()
                .map(e -> str(e.getKey()) + ": " + e.getValue())
                .collect(Collectors.joining(", ")));
        b.append("}\n}\n");
        return b.toString();
    }

    private static String values(List<Value> vs) {
        return vs.stream()
                .map(v -> "{\"name\": " + str(v.name()) + ", \"dtype\": "
                        + str(v.dtype().irName()) + ", \"dims\": "
                        + dims(v.type().dims()) + "}")
                .collect(Collectors.joining(",\n    ", "[\n    ", "\n  ]"));
    }

    private static String dims(List<Dim> dims) {
        return dims.stream()
                .map(d -> d.isFixed() ? Long.toString(d.value()) : str(d.toString()))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
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
