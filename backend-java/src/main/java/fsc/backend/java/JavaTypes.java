package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import fsc.ir.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Java target's "language table" (as in tinygrad's renderers): every type the generated code
 * names, and how each IR element type is spelled. Runtime and Vector API types are named by string so
 * this module does not need {@code jdk.incubator.vector} or the runtime's kernels to compile.
 */
final class JavaTypes {
    private JavaTypes() {}

    static final String RUNTIME = "fsc.runtime";
    static final ClassName COMPILED_MODEL = ClassName.get(RUNTIME, "CompiledModel");
    static final ClassName TENSOR = ClassName.get(RUNTIME, "Tensor");
    static final ClassName ELEM_TYPE = ClassName.get(RUNTIME, "ElemType");
    static final ClassName RUNTIME_FAILURE = ClassName.get(RUNTIME, "RuntimeFailure");
    static final ClassName ARTIFACT_MAIN = ClassName.get(RUNTIME, "ArtifactMain");
    static final ClassName PARALLELISM = ClassName.get(RUNTIME, "Parallelism");
    static final ClassName ACTIVATION_MEMORY = ClassName.get(RUNTIME, "ActivationMemory");
    static final ClassName PACKED_MEMORY = ClassName.get(RUNTIME, "PackedMemory");
    static final ClassName RANGE_BODY = PARALLELISM.nestedClass("IntRangeBody");
    static final ClassName WEIGHTS_FILE = ClassName.get(RUNTIME, "WeightsFile");
    static final ClassName JAR_LAYOUT = ClassName.get(RUNTIME, "JarLayout");
    static final ClassName SGEMM = ClassName.get(RUNTIME + ".kernels", "Sgemm");
    static final ClassName FLOAT_MATH = ClassName.get(RUNTIME + ".kernels", "FloatMath");
    static final ClassName LANES = ClassName.get(RUNTIME + ".kernels", "Lanes");
    static final ClassName VECTOR_EXP = ClassName.get(RUNTIME + ".kernels", "VectorExp");
    static final ClassName VECTOR_WARMTH = ClassName.get(RUNTIME + ".kernels", "VectorWarmth");
    static final ClassName INVERSE_HYPERBOLIC = ClassName.get(RUNTIME + ".kernels", "InverseHyperbolic");
    static final ClassName GEMM_EPILOGUE = ClassName.get(RUNTIME + ".kernels", "GemmEpilogue");
    static final ClassName CONV2D = ClassName.get(RUNTIME + ".kernels", "Conv2d");
    static final ClassName CONV_SHAPE = ClassName.get(RUNTIME + ".kernels", "ConvShape");
    static final ClassName RESIZABLE_CONV2D = ClassName.get(RUNTIME + ".kernels", "ResizableConv2d");
    static final ClassName CONV_ACTIVATION = ClassName.get(RUNTIME + ".kernels", "ConvActivation");
    static final ClassName TRANSPOSE_2D = ClassName.get(RUNTIME + ".kernels", "Transpose2d");
    static final ClassName INTERLEAVE_RUNS = ClassName.get(RUNTIME + ".kernels", "InterleaveRuns");

    static final ClassName MEMORY_SEGMENT = ClassName.get(MemorySegment.class);
    static final ClassName ARENA = ClassName.get(Arena.class);
    static final ClassName VALUE_LAYOUT = ClassName.get(ValueLayout.class);
    static final ClassName BYTE_ORDER = ClassName.get(ByteOrder.class);

    static final String VECTOR = "jdk.incubator.vector";
    static final ClassName FLOAT_VECTOR = ClassName.get(VECTOR, "FloatVector");
    static final ClassName VECTOR_OPERATORS = ClassName.get(VECTOR, "VectorOperators");
    static final TypeName FLOAT_SPECIES =
            ParameterizedTypeName.get(ClassName.get(VECTOR, "VectorSpecies"), ClassName.get(Float.class));

    /** Name of the generated class's static final field holding the little-endian layout for {@code t}. */
    static String layoutField(DType t) {
        if (t.isSubByte()) {
            throw new IllegalStateException(t.irName() + " packs two elements a byte: access it through ElemCode");
        }
        return switch (t.blockBytes()) {
            case 1 -> "I8";
            case 2 -> "I16";
            case 4 -> t == DType.F32 ? "F32" : "I32";
            case 8 -> t == DType.F64 ? "F64" : "I64";
            default -> throw new IllegalStateException("no layout for " + t.irName());
        };
    }

    /** Layout field for raw copies of elements {@code bytes} wide, whatever their type. */
    static String rawLayoutField(int bytes) {
        return switch (bytes) {
            case 1 -> "I8";
            case 2 -> "I16";
            case 4 -> "I32";
            case 8 -> "I64";
            default -> throw new IllegalStateException("no raw layout " + bytes + " bytes wide");
        };
    }

    /** The Java primitive holding one element of {@code t} (bool is a byte 0/1, as in ONNX). */
    static TypeName scalar(DType t) {
        return switch (t) {
            case F32 -> TypeName.FLOAT;
            case F64 -> TypeName.DOUBLE;
            case I64, U64 -> TypeName.LONG;
            case I32, U32 -> TypeName.INT;
            case I16, U16, F16, BF16 -> TypeName.SHORT;
            case I8, U8, BOOL, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0 -> TypeName.BYTE;
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K, I4, U4, F4E2M1, I2, U2, STRING ->
                throw new IllegalStateException("no scalar type for packed type " + t.irName());
        };
    }

    /** Whether arithmetic on {@code t} in Java widens to int and needs a cast back. */
    static boolean narrow(DType t) {
        TypeName s = scalar(t);
        return s.equals(TypeName.BYTE) || s.equals(TypeName.SHORT);
    }
}
