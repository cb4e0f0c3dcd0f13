package fsc.runtime.cuda;

/** This machine cannot run CUDA code (no driver, no device): a one-line reason, never a stack trace. */
public final class CudaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(String message) {
        super(message);
    }
}
