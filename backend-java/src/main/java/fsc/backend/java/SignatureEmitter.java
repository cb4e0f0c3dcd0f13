package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * The model's runtime {@code Signature} and the start of {@code run}: the signature checks every input
 * (dtype, rank, fixed dims, each symbol within its bound and the same across inputs) and returns the
 * symbol values; dimensions that are products of symbols ({@code B*S}) appear to it as symbols of their
 * own and are checked against the binding here.
 */
final class SignatureEmitter {
    static final String FIELD = "SIGNATURE";
    private static final ClassName SIGNATURE = ClassName.get(JavaTypes.RUNTIME, "Signature");
    private static final ClassName TENSOR_SPEC = ClassName.get(JavaTypes.RUNTIME, "TensorSpec");
    private static final ClassName DIM_SPEC = ClassName.get(JavaTypes.RUNTIME, "DimSpec");

    private final Graph graph;
    private final ModelContext ctx;

    SignatureEmitter(Graph graph, ModelContext ctx) {
        this.graph = graph;
        this.ctx = ctx;
    }

    FieldSpec field() {
        return FieldSpec.builder(SIGNATURE, FIELD, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .addJavadoc("Inputs and outputs with their symbol bounds; validates every call.\n")
                .initializer(
                        "new $T($L, $L)", SIGNATURE, specs(tensors(graph.inputs())), specs(tensors(graph.outputs())))
                .build();
    }

    /** The tensor values: sequences and optionals are checked by {@code Containers.input}, not the signature. */
    private static List<Value> tensors(List<Value> values) {
        return values.stream().filter(v -> v.type().isTensor()).toList();
    }

    private CodeBlock specs(List<Value> values) {
        List<CodeBlock> specs = new ArrayList<>();
        for (Value v : values) {
            List<CodeBlock> dims = new ArrayList<>();
            dims.add(CodeBlock.of("$S", v.name()));
            dims.add(CodeBlock.of("$T.$L", JavaTypes.ELEM_TYPE, v.dtype().name()));
            for (Dim d : v.type().dims()) {
                dims.add(
                        d.isFixed()
                                ? CodeBlock.of("$T.fixed($LL)", DIM_SPEC, d.value())
                                : CodeBlock.of(
                                        "$T.symbol($S, $LL)", DIM_SPEC, d.toString(), d.upperBound(graph.symbols())));
            }
            specs.add(CodeBlock.of("$T.of($L)", TENSOR_SPEC, CodeBlock.join(dims, ", ")));
        }
        return CodeBlock.of("$T.of($L)", List.class, CodeBlock.join(specs, ",\n"));
    }

    /**
     * {@code long B = sym[0]; ...}: binds every graph symbol from the signature's result, checks
     * product dimensions, records the symbols for helpers, and takes each input's data.
     */
    /** The instance field {@link #bind} writes the call's symbols into, so binding allocates nothing. */
    static final String SYMBOL_VALUES = "symbolValues";

    /** {@code private final long[] symbolValues = new long[SIGNATURE.symbols().size()]}. */
    static com.palantir.javapoet.FieldSpec symbolValuesField() {
        return com.palantir.javapoet.FieldSpec.builder(
                        long[].class,
                        SYMBOL_VALUES,
                        javax.lang.model.element.Modifier.PRIVATE,
                        javax.lang.model.element.Modifier.FINAL)
                .addJavadoc("The current call's symbols, as {@code $N.bind} writes them.\n", FIELD)
                .initializer("new long[$N.symbols().size()]", FIELD)
                .build();
    }

    CodeBlock bind() {
        DimCode dc = ctx.dims();
        List<String> order = new ArrayList<>();
        for (Value in : tensors(graph.inputs())) {
            for (Dim d : in.type().dims()) {
                if (!d.isFixed() && !order.contains(d.toString())) {
                    order.add(d.toString());
                }
            }
        }
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("$N.bind(inputs, $N)", FIELD, SYMBOL_VALUES)
                .addStatement("long[] sym = $N", SYMBOL_VALUES);
        for (Map.Entry<String, String> e : dc.symbols().entrySet()) {
            int at = order.indexOf(Dim.sym(e.getKey()).toString());
            if (at < 0) {
                throw new FscException(
                        "graph '" + graph.name() + "': symbol " + e.getKey()
                                + " is not a whole dimension of any input, so run() cannot bind it",
                        "give some input a dimension that is exactly " + e.getKey());
            }
            b.addStatement("long $N = sym[$L]", e.getValue(), at);
        }
        for (Value in : tensors(graph.inputs())) {
            List<Dim> dims = in.type().dims();
            for (int d = 0; d < dims.size(); d++) {
                Dim dim = dims.get(d);
                if (!dim.isFixed() && dim.asSymbol().isEmpty()) {
                    b.addStatement(
                            "expectDim(inputs.get($S), $S, $L, $L, $S)",
                            in.name(),
                            in.name(),
                            d,
                            dc.of(dim),
                            dim.toString());
                }
            }
        }
        for (String p : dc.symbols().values()) {
            b.addStatement("$N = $N", ctx.symbolField(p), p);
        }
        for (Value in : graph.inputs()) {
            if (in.dtype().isString()) {
                b.addStatement("$L = inputs.get($S)", ctx.strings(in), in.name());
            }
        }
        for (int i = 0; i < graph.inputs().size(); i++) {
            if (!graph.inputs().get(i).type().isTensor()) {
                continue;
            }
            b.addStatement(
                    "$N[$L] = nativeData(inputs.get($S))",
                    ModelContext.IN_BUF,
                    i,
                    graph.inputs().get(i).name());
        }
        return b.build();
    }
}
