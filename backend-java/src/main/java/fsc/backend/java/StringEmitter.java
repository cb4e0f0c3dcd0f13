package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import fsc.ir.DType;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * The string ops as calls of the runtime's {@code StringKernels}: string values are run-time tensors
 * in the model's {@code strs} array ({@link ModelContext#strings}), so their shapes, including a
 * StringSplit's or StringNormalizer's text-dependent extent, come with them; numeric operands and
 * results stay in the arena. Per-node constants (a compiled regular expression, a LabelEncoder's
 * table) are built once in the constructor.
 */
final class StringEmitter {
    private StringEmitter() {}

    static final ClassName KERNELS = ClassName.get("fsc.runtime.kernels", "StringKernels");
    static final ClassName TABLE = ClassName.get("fsc.runtime.kernels", "LabelEncoderTable");
    private static final ClassName PATTERN = ClassName.get(java.util.regex.Pattern.class);

    static CodeBlock concat(Scope s) {
        Node n = s.node();
        ModelContext m = s.model();
        return CodeBlock.builder()
                .addStatement(
                        "$L = $T.concat($L, $L)",
                        m.strings(n.output()),
                        KERNELS,
                        m.strings(n.input(0)),
                        m.strings(n.input(1)))
                .build();
    }

    /** identity, reshape, squeeze, unsqueeze, flatten: the same elements (never mutated) under the output's shape. */
    static CodeBlock view(Scope s) {
        Node n = s.node();
        ModelContext m = s.model();
        if (n.op().equals("identity")) {
            return CodeBlock.builder()
                    .addStatement("$L = $L", m.strings(n.output()), m.strings(n.input(0)))
                    .build();
        }
        return CodeBlock.builder()
                .addStatement(
                        "$L = $T.ofStrings(new long[] {$L}, $L.strings())",
                        m.strings(n.output()),
                        JavaTypes.TENSOR,
                        CodeBlock.join(
                                n.output().type().dims().stream()
                                        .map(d -> CodeBlock.of("$LL", d.value()))
                                        .toList(),
                                ", "),
                        m.strings(n.input(0)))
                .build();
    }

    static CodeBlock equal(Scope s) {
        Node n = s.node();
        ModelContext m = s.model();
        return CodeBlock.builder()
                .addStatement(
                        "$T.equal($L, $L, $N)",
                        KERNELS,
                        m.strings(n.input(0)),
                        m.strings(n.input(1)),
                        s.segment(n.output(), "y"))
                .build();
    }

    static CodeBlock regexFullMatch(Scope s) {
        Node n = s.node();
        String field = s.methodName() + "_pattern";
        s.model()
                .addField(
                        FieldSpec.builder(PATTERN, field, Modifier.PRIVATE).build(),
                        CodeBlock.builder()
                                .addStatement("this.$N = $T.compile($S)", field, PATTERN, n.strAttr("pattern"))
                                .build());
        return CodeBlock.builder()
                .addStatement(
                        "$T.fullMatch($L, $N, $N)",
                        KERNELS,
                        s.model().strings(n.input(0)),
                        field,
                        s.segment(n.output(), "y"))
                .build();
    }

    static CodeBlock normalizer(Scope s) {
        Node n = s.node();
        List<String> stop = n.has("stopwords") ? n.strsAttr("stopwords") : List.of();
        String action =
                switch (n.strAttr("case_change_action")) {
                    case "LOWER" -> "CASE_LOWER";
                    case "UPPER" -> "CASE_UPPER";
                    default -> "CASE_NONE";
                };
        return CodeBlock.builder()
                .addStatement(
                        "$L = $T.normalize($L, $L, $L, $T.$L, $S)",
                        s.model().strings(n.output()),
                        KERNELS,
                        s.model().strings(n.input(0)),
                        stringArray(stop),
                        n.intAttr("is_case_sensitive") != 0,
                        KERNELS,
                        action,
                        n.strAttr("locale"))
                .build();
    }

    static CodeBlock split(Scope s) {
        Node n = s.node();
        return CodeBlock.builder()
                .addStatement(
                        "$L = $T.split($L, $S, $LL, $N)",
                        s.model().strings(n.outputs().get(0)),
                        KERNELS,
                        s.model().strings(n.input(0)),
                        n.strAttr("delimiter"),
                        n.has("maxsplit") ? n.intAttr("maxsplit") : -1,
                        s.segment(n.outputs().get(1), "counts"))
                .build();
    }

    static CodeBlock labelEncoder(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        String field = s.methodName() + "_table";
        CodeBlock dflt = n.has("values_strings")
                ? CodeBlock.of("$S", n.strAttr("default_string"))
                : n.has("values_ints")
                        ? CodeBlock.of("$LL", n.intAttr("default_int"))
                        : CodeBlock.of("$L", doubleLiteral(n.floatAttr("default_float")));
        s.model()
                .addField(
                        FieldSpec.builder(TABLE, field, Modifier.PRIVATE).build(),
                        CodeBlock.builder()
                                .addStatement(
                                        "this.$N = new $T($L, $L, $L)",
                                        field,
                                        TABLE,
                                        list(n, "keys"),
                                        list(n, "values"),
                                        dflt)
                                .build());
        CodeBlock in = x.dtype().isString()
                ? s.model().strings(x)
                : CodeBlock.of(
                        "new $T($T.$L, new long[] {$L}, $N)",
                        JavaTypes.TENSOR,
                        JavaTypes.ELEM_TYPE,
                        x.dtype().name(),
                        CodeBlock.join(
                                x.type().dims().stream().map(s.dims()::of).toList(), ", "),
                        s.segment(x, "x"));
        if (y.dtype().isString()) {
            return CodeBlock.builder()
                    .addStatement("$L = $N.toStrings($L)", s.model().strings(y), field, in)
                    .build();
        }
        return CodeBlock.builder()
                .addStatement(
                        "$N.toNumbers($L, $T.$L, $N)",
                        field,
                        in,
                        JavaTypes.ELEM_TYPE,
                        y.dtype().name(),
                        s.segment(y, "y"))
                .build();
    }

    /** The {@code String[]}, {@code long[]} or {@code double[]} of {@code <role>_strings/_ints/_floats}. */
    private static CodeBlock list(Node n, String role) {
        if (n.has(role + "_strings")) {
            return stringArray(n.strsAttr(role + "_strings"));
        }
        List<CodeBlock> items = new ArrayList<>();
        if (n.has(role + "_ints")) {
            for (long v : n.intsAttr(role + "_ints")) {
                items.add(CodeBlock.of("$LL", v));
            }
            return CodeBlock.of("new long[] {$L}", CodeBlock.join(items, ", "));
        }
        for (double v : n.floatsAttr(role + "_floats")) {
            items.add(CodeBlock.of("$L", doubleLiteral(v)));
        }
        return CodeBlock.of("new double[] {$L}", CodeBlock.join(items, ", "));
    }

    private static String doubleLiteral(double v) {
        if (Double.isNaN(v)) {
            return "Double.NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "Double.POSITIVE_INFINITY" : "Double.NEGATIVE_INFINITY";
        }
        return Double.toString(v) + "d";
    }

    private static CodeBlock stringArray(List<String> values) {
        List<CodeBlock> items = values.stream().map(v -> CodeBlock.of("$S", v)).toList();
        return CodeBlock.of("new String[] {$L}", CodeBlock.join(items, ", "));
    }

    /** Whether {@code n} reads or writes a string value (only the string ops may). */
    static boolean touchesStrings(Node n) {
        return n.inputs().stream().anyMatch(v -> v.dtype() == DType.STRING)
                || n.outputs().stream().anyMatch(v -> v.dtype() == DType.STRING);
    }
}
