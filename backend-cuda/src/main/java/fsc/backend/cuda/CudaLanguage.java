package fsc.backend.cuda;

import fsc.ir.DType;

/**
 * The per-target "language" table (as tinygrad's C renderer and HAT keep one): every spelling the
 * kernel emitters need comes from here, so a second target (HIP, or an older CUDA) is a new
 * instance, not a fork of the emitters.
 */
public record CudaLanguage(
        String kernelPrefix,
        String sharedKeyword,
        String barrier,
        String threadIdx,
        String blockIdx,
        String blockDim,
        String gridDim,
        String restrict,
        String header) {

    /** CUDA C for NVRTC and nvcc (sm_80 and newer: bf16 WMMA needs Ampere). */
    public static final CudaLanguage CUDA = new CudaLanguage(
            "extern \"C\" __global__ void",
            "__shared__",
            "__syncthreads()",
            "threadIdx",
            "blockIdx",
            "blockDim",
            "gridDim",
            "__restrict__",
            """
            #include <cuda_fp16.h>
            #include <cuda_bf16.h>
            #include <mma.h>
            typedef long long i64;
            typedef unsigned char u8;
            """);

    /** The C type that stores one element of {@code t} in memory. */
    public String storage(DType t) {
        return switch (t) {
            case F32 -> "float";
            case F16 -> "__half";
            case BF16 -> "__nv_bfloat16";
            case F64 -> "double";
            case I8 -> "signed char";
            case U8, BOOL -> "unsigned char";
            case I16 -> "short";
            case U16 -> "unsigned short";
            case I32 -> "int";
            case U32 -> "unsigned int";
            case I64 -> "long long";
            case U64 -> "unsigned long long";
            case Q8_0,
                    Q4_0,
                    Q4_1,
                    Q4_K,
                    Q5_K,
                    Q6_K,
                    F8E4M3FN,
                    F8E4M3FNUZ,
                    F8E5M2,
                    F8E5M2FNUZ,
                    F8E8M0,
                    I4,
                    U4,
                    F4E2M1,
                    I2,
                    U2 -> "unsigned char";
            case STRING ->
                throw new IllegalStateException("string tensors never reach CUDA code (refused by the support check)");
        };
    }

    /**
     * The type arithmetic runs in: half types widen to float (fp16 math only where a kernel asks for
     * it, like WMMA), integers to 64 bits as the interpreter computes them.
     */
    public String compute(DType t) {
        return switch (t) {
            case F32, F16, BF16 -> "float";
            case F64 -> "double";
            case BOOL -> "int";
            case I8, U8, I16, U16, I32, U32, I64 -> "long long";
            case U64 -> "unsigned long long";
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K ->
                throw new IllegalStateException("packed type " + t.irName() + " has no scalar compute type");
            case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, I4, U4, F4E2M1, I2, U2, STRING ->
                throw new IllegalStateException("the CUDA backend does no arithmetic on " + t.irName());
        };
    }

    /** {@code expr} (a stored element of {@code t}) widened to its compute type. */
    public String load(DType t, String expr) {
        return switch (t) {
            case F16 -> "__half2float(" + expr + ")";
            case BF16 -> "__bfloat162float(" + expr + ")";
            case BOOL -> "(int)(" + expr + ")";
            default -> "(" + compute(t) + ")(" + expr + ")";
        };
    }

    /** {@code expr} (in some compute type) narrowed to {@code t}'s storage, rounding like the interpreter. */
    public String store(DType t, String expr) {
        return switch (t) {
            case F16 -> "__float2half_rn((float)(" + expr + "))";
            case BF16 -> "__float2bfloat16_rn((float)(" + expr + "))";
            case BOOL -> "(unsigned char)((" + expr + ") != 0)";
            default -> "(" + storage(t) + ")(" + expr + ")";
        };
    }

    /** A single-precision math intrinsic by its libm name ({@code expf}, {@code erff}), double without the f. */
    public String math(String fn, DType t) {
        return t == DType.F64 ? fn : fn + "f";
    }
}
