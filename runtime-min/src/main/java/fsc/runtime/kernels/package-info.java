/**
 * CPU kernels that generated model code calls with constant shapes: {@link
 * fsc.runtime.kernels.Sgemm} (blocked, register-tiled fp32 GEMM on packed or plain operands) and
 * {@link fsc.runtime.kernels.FloatMath} (erf, exp, softmax and layer-norm rows). Each fast kernel
 * has a scalar reference ({@link fsc.runtime.kernels.SgemmReference}, or a double-precision one in
 * its test) and a differential test over odd sizes and offsets. Kernels take {@code MemorySegment}s
 * with byte offsets, use the CPU's preferred vector species chosen once, and allocate nothing in
 * steady state.
 */
package fsc.runtime.kernels;
