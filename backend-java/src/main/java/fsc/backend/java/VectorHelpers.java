package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Small static vector functions every generated model class carries, for unary ops whose operand
 * appears more than once in the formula (a helper evaluates the loaded vector once; the JIT inlines it).
 * Each has a float overload of the same name that does one lane's arithmetic in the same order with
 * the same operations (so the same bits), for the scalar twins of the vector loops ({@link WarmedLoop}).
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
                lane(RECIPROCAL, CodeBlock.of("return 1f / v")),
                helper(SQUARE, "v * v", CodeBlock.of("return v.mul(v)")),
                lane(SQUARE, CodeBlock.of("return v * v")),
                helper(
                        SILU,
                        "v * sigmoid(v), as ONNX Swish with alpha 1",
                        CodeBlock.of("return v.mul($N(v))", SIGMOID)),
                lane(SILU, CodeBlock.of("return v * $N(v)", SIGMOID)),
                helper(
                        SIGMOID,
                        "1 / (1 + exp(-v))",
                        CodeBlock.of("return v.broadcast(1f).div($T.exp(v.neg()).add(1f))", JavaTypes.FLOAT_MATH)),
                // FloatMath.exp(FloatVector) is VectorExp.exp, whose scalar twin is VectorExp.exp(float).
                lane(SIGMOID, CodeBlock.of("return 1f / ($T.exp(-v) + 1f)", JavaTypes.VECTOR_EXP)));
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

    private static MethodSpec lane(String name, CodeBlock body) {
        return MethodSpec.methodBuilder(name)
                .addJavadoc("One lane of {@code $L(FloatVector)}: the same operations in the same order.\n", name)
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .returns(TypeName.FLOAT)
                .addParameter(TypeName.FLOAT, "v")
                .addStatement(body)
                .build();
    }
}
