package fsc.backend.cuda;

import fsc.ir.FscException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code fsc compile --target cuda[,java]} asked for.
 *
 * @param arch GPU architecture for PTX, {@code sm_90} by default (PTX for {@code compute_90})
 * @param gemm {@code generated} (our kernels) or {@code cublas}
 * @param javaFallback whether the jar's Java backend code is the fallback on machines without a GPU
 * @param dumpDir where to write {@code model.cu}, {@code model.ptx} and the host class, or null
 * @param nvcc the nvcc to use when NVRTC is absent (found by the CLI on PATH), if any
 */
public record CudaBackendOptions(String arch, String gemm, boolean javaFallback, Path dumpDir, Optional<Nvcc> nvcc) {

    public CudaBackendOptions {
        if (!arch.matches("sm_[0-9]{2,3}a?")) {
            throw new FscException(
                    "--arch " + arch + " is not a CUDA architecture", "use e.g. sm_90 (H100/H200) or sm_80");
        }
        if (!gemm.equals("generated") && !gemm.equals("cublas")) {
            throw new FscException("--gemm " + gemm + " is not known", "use generated or cublas");
        }
        if (gemm.equals("cublas")) {
            throw new FscException(
                    "--gemm cublas is not available in this build", "use --gemm generated (the default)");
        }
    }

    public static CudaBackendOptions defaults(Optional<Nvcc> nvcc) {
        return new CudaBackendOptions("sm_90", "generated", false, null, nvcc);
    }
}
