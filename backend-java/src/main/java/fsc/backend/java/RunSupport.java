package fsc.backend.java;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Helper methods every generated model class carries for {@code run}: input lookup and checking
 * (one-line {@code RuntimeFailure}s naming the input, axis and symbol), slot growth, and copies.
 * They are emitted into the class, not put in the runtime, so the runtime API stays small.
 */
final class RunSupport {
    private RunSupport() {}

    static List<MethodSpec> methods() {
        return List.of(input(), expectDim(), checkBound(), nativeData(), copyOf(), ensure());
    }

    private static MethodSpec input() {
        return MethodSpec.methodBuilder("input")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .returns(JavaTypes.TENSOR)
                .addParameter(
                        com.palantir.javapoet.ParameterizedTypeName.get(
                                com.palantir.javapoet.ClassName.get(java.util.Map.class),
                                com.palantir.javapoet.ClassName.get(String.class),
                                JavaTypes.TENSOR),
                        "inputs")
                .addParameter(String.class, "name")
                .addParameter(JavaTypes.ELEM_TYPE, "type")
                .addParameter(TypeName.INT, "rank")
                .addStatement("$T t = inputs.get(name)", JavaTypes.TENSOR)
                .beginControlFlow("if (t == null)")
                .addStatement(
                        "throw new $T($S + name + $S + inputs.keySet())",
                        JavaTypes.RUNTIME_FAILURE,
                        "missing input '",
                        "'; given: ")
                .endControlFlow()
                .beginControlFlow("if (t.type() != type)")
                .addStatement(
                        "throw new $T($S + name + $S + t.type() + $S + type)",
                        JavaTypes.RUNTIME_FAILURE,
                        "input '",
                        "' has element type ",
                        ", expected ")
                .endControlFlow()
                .beginControlFlow("if (t.shape().length != rank)")
                .addStatement(
                        "throw new $T($S + name + $S + $T.toString(t.shape()) + $S + rank)",
                        JavaTypes.RUNTIME_FAILURE,
                        "input '",
                        "' has shape ",
                        java.util.Arrays.class,
                        ", expected rank ")
                .endControlFlow()
                .addStatement("return t")
                .build();
    }

    private static MethodSpec expectDim() {
        return MethodSpec.methodBuilder("expectDim")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(JavaTypes.TENSOR, "t")
                .addParameter(String.class, "name")
                .addParameter(TypeName.INT, "axis")
                .addParameter(TypeName.LONG, "expected")
                .addParameter(String.class, "dim")
                .beginControlFlow("if (t.shape()[axis] != expected)")
                .addStatement(
                        "throw new $T($S + name + $S + axis + $S + t.shape()[axis] + $S + dim + $S + expected + $S)",
                        JavaTypes.RUNTIME_FAILURE,
                        "input '",
                        "' dimension ",
                        " is ",
                        ", expected ",
                        " = ",
                        "")
                .endControlFlow()
                .build();
    }

    private static MethodSpec checkBound() {
        return MethodSpec.methodBuilder("checkBound")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .addParameter(String.class, "symbol")
                .addParameter(TypeName.LONG, "value")
                .addParameter(TypeName.LONG, "max")
                .beginControlFlow("if (value < 1 || value > max)")
                .addStatement(
                        "throw new $T($S + symbol + $S + value + $S + max + $S)",
                        JavaTypes.RUNTIME_FAILURE,
                        "dimension ",
                        " = ",
                        " is outside the compiled range 1..",
                        "")
                .endControlFlow()
                .build();
    }

    /** Vector loads need native memory; a heap-backed input is copied once per call. */
    private static MethodSpec nativeData() {
        return MethodSpec.methodBuilder("nativeData")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .returns(JavaTypes.MEMORY_SEGMENT)
                .addParameter(JavaTypes.TENSOR, "t")
                .addStatement("$T d = t.data()", JavaTypes.MEMORY_SEGMENT)
                .addStatement("return d.isNative() ? d : copyOf(d, d.byteSize())")
                .build();
    }

    private static MethodSpec copyOf() {
        return MethodSpec.methodBuilder("copyOf")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .returns(JavaTypes.MEMORY_SEGMENT)
                .addParameter(JavaTypes.MEMORY_SEGMENT, "src")
                .addParameter(TypeName.LONG, "bytes")
                .addStatement(
                        "$T dst = $T.ofAuto().allocate($T.max(bytes, 1L), 64)",
                        JavaTypes.MEMORY_SEGMENT,
                        JavaTypes.ARENA,
                        Math.class)
                .addStatement("$T.copy(src, 0L, dst, 0L, bytes)", JavaTypes.MEMORY_SEGMENT)
                .addStatement("return dst")
                .build();
    }

    /** Grows slot {@code k} to {@code bytes}; calls of the same or smaller shapes then allocate nothing. */
    private static MethodSpec ensure() {
        return MethodSpec.methodBuilder("ensure")
                .addModifiers(Modifier.PRIVATE)
                .addParameter(TypeName.INT, "k")
                .addParameter(TypeName.LONG, "bytes")
                .beginControlFlow("if ($N[k].byteSize() < bytes)", ModelContext.SLOT_BUF)
                .addStatement("$N[k].close()", ModelContext.SLOT_ARENA)
                .addStatement("$N[k] = $T.ofShared()", ModelContext.SLOT_ARENA, JavaTypes.ARENA)
                .addStatement("$N[k] = $N[k].allocate(bytes, 64)", ModelContext.SLOT_BUF, ModelContext.SLOT_ARENA)
                .endControlFlow()
                .build();
    }
}
