package fsc.backend.cuda;

/**
 * One emitted {@code __global__} function: its name (dtype, op and shape, e.g. {@code
 * f32_matmul_Bx384x1536_n12}), the IR node it computes, its CUDA C text and how to launch it.
 */
public record Kernel(String name, String node, String op, String source, Launch launch) {}
