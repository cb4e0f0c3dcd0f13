package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Small static vector functions every generated model class carries, for unary ops whose operand
 * appears more than once in the formula (a helper evaluates the loaded vector once; the JIT inlines it).
 */
final class VectorHelpers {
    private VectorHelpers() {}

    static final String RECIPROCAL = "reciprocal";
    static final String SIGMOID = "sigmoid";
    static final String SQUARE = "square";
    static final String SILU = "silu";

    static List<MethodSpec> methods() {
        return List.of(
                helper(RECIPROCAL, "1 / v", CodeBlock.of("return v.broadcast(1f).div(v)")),
                helper(SQUARE, "v * v", CodeBlock.of("return v.mul(v)")),
                helper(
                        SILU,
                        "v * sigmoid(v), as ONNX Swish with alpha 1",
                        CodeBlock.of("return v.mul($N(v))", SIGMOID)),
                helper(
                        SIGMOID,
                        "1 / (1 + exp(-v))",
                        CodeBlock.of("return v.broadcast(1f).div($T.exp(v.neg()).add(1f))", JavaTypes.FLOAT_MATH)));
    }

    private static MethodSpec helper(String name, String doc, CodeBlock body) {
        return MethodSpec.methodBuilder(name)
                .addJavadoc("$L\n", doc)
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .returns(JavaTypes.FLOAT_VECTOR)
                .addParameter(JavaTypes.FLOAT_VECTOR, "v")
                .addStatement(body)
                .build();
    }
}
