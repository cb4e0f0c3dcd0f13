package fsc.backend.java;

import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Helper methods every generated model class carries for {@code run}: the check of product dimensions
 * (one-line {@code RuntimeFailure}s naming the input and axis), and copies.
 * They are emitted into the class, not put in the runtime, so the runtime API stays small.
 */
final class RunSupport {
    private RunSupport() {}

    static List<MethodSpec> methods() {
        return List.of(expectDim(), nativeData(), copyOf());
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
                .addStatement("$T dst = $T.ofAuto().allocate(bytes, 64)", JavaTypes.MEMORY_SEGMENT, JavaTypes.ARENA)
                .addStatement("$T.copy(src, 0L, dst, 0L, bytes)", JavaTypes.MEMORY_SEGMENT)
                .addStatement("return dst")
                .build();
    }
}
