package fsc.runtime.cuda;

/** A CUDA driver or NVRTC call that returned an error: the message names the call and the code. */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The {@code CUresult} or {@code nvrtcResult} value (0 is success, never thrown). */
    public int code() {
        return code;
    }
}
