package fsc.backend.cuda;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.runtime.DimSpec;
import fsc.runtime.ElemType;
import fsc.runtime.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * The launcher's view of the model's interface: input specs (so the runtime validates a call and
 * binds its symbols with the same {@code Signature} the Java model uses) and each output's shape as
 * Java arithmetic over the symbol values.
 */
final class HostSignatures {
    private HostSignatures() {}

    static final ClassName ELEM_TYPE = ClassName.get(ElemType.class);
    private static final ClassName DIM_SPEC = ClassName.get(DimSpec.class);
    private static final ClassName TENSOR_SPEC = ClassName.get(TensorSpec.class);

    /** The runtime element type named like {@code v}'s dtype; graph inputs and outputs are never packed. */
    static String elemType(Value v) {
        try {
            return ElemType.valueOf(v.dtype().name()).name();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("backend-cuda: graph input/output " + v.name() + " has packed type "
                    + v.dtype().irName());
        }
    }

    static MethodSpec inputSpecs(CudaModule m) {
        List<CodeBlock> specs = new ArrayList<>();
        for (DeviceLayout.Io io : m.layout().inputs()) {
            Value v = io.value();
            List<CodeBlock> parts = new ArrayList<>();
            parts.add(CodeBlock.of("$S", v.name()));
            parts.add(CodeBlock.of("$T.$L", ELEM_TYPE, elemType(v)));
            for (Dim d : v.type().dims()) {
                if (d.isFixed()) {
                    parts.add(CodeBlock.of("$T.fixed($LL)", DIM_SPEC, d.value()));
                } else if (d.asSymbol().isPresent()) {
                    parts.add(CodeBlock.of(
                            "$T.symbol($S, $LL)", DIM_SPEC, d.symbols().get(0), d.upperBound(m.bounds())));
                } else {
                    throw new IllegalStateException("backend-cuda: input " + v.name() + " has product dim " + d
                            + " (inputs bind plain symbols)");
                }
            }
            specs.add(CodeBlock.of("$T.of($L)", TENSOR_SPEC, CodeBlock.join(parts, ", ")));
        }
        return MethodSpec.methodBuilder("inputSpecs")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(ParameterizedTypeName.get(ClassName.get(List.class), TENSOR_SPEC))
                .addStatement("return $T.of($L)", List.class, CodeBlock.join(specs, ",\n"))
                .build();
    }

    static MethodSpec outputShape(CudaModule m) {
        CodeBlock.Builder cases = CodeBlock.builder().beginControlFlow("return switch (output)");
        List<DeviceLayout.Io> outs = m.layout().outputs();
        for (int i = 0; i < outs.size(); i++) {
            List<String> dims = outs.get(i).value().type().dims().stream()
                    .map(d -> HostClassEmitter.javaDim(d, m.symbols()))
                    .toList();
            cases.addStatement("case $L -> new long[] {$L}", i, String.join(", ", dims));
        }
        cases.addStatement(
                "default -> throw new $T($S + output)", IndexOutOfBoundsException.class, "no output number ");
        cases.endControlFlow("");
        return MethodSpec.methodBuilder("outputShape")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(long[].class)
                .addParameter(int.class, "output")
                .addParameter(long[].class, "s")
                .addCode(cases.build())
                .build();
    }
}
