package fsc.runtime.cuda;

import java.lang.foreign.MemorySegment;

/**
 * The device copy of the one input kernels update in place (the paged KV cache), kept on the device
 * between calls. Its size is the caller's tensor's, i.e. the runtime's KV budget ({@code
 * --kv-memory}, {@code --max-context} through {@code KvCache}), never the compiled bound of the
 * block count, which no device could hold. The caller's tensor is uploaded once when it is first
 * handed over (a different host tensor means a different cache); later calls with the same tensor
 * copy nothing, so from then on the device copy is the cache's content and the host tensor is
 * stale. Reusing stale device content for a new cache at the same address is harmless: the
 * attention kernels read only positions their own sequence has written.
 */
final class ResidentBuffer implements AutoCloseable {
    private final DeviceMemory memory;
    private long pointer;
    private long bytes;
    private long hostAddress;

    ResidentBuffer(DeviceMemory memory) {
        this.memory = memory;
    }

    /**
     * The device pointer holding {@code host}'s content: allocated on first use, reallocated only
     * when the size changes, uploaded only when {@code host} is not the tensor of the previous call.
     */
    long bind(MemorySegment host) {
        long size = host.byteSize();
        if (size == 0) {
            throw new IllegalStateException("the resident input is empty; the KV cache needs at least one block");
        }
        if (size != bytes) {
            if (pointer != 0) {
                memory.free(pointer);
            }
            pointer = memory.malloc(size);
            bytes = size;
            hostAddress = 0;
        }
        if (host.address() != hostAddress) {
            memory.copyToDevice(pointer, host, size);
            hostAddress = host.address();
        }
        return pointer;
    }

    /** The device pointer, 0 before the first {@link #bind} (a model without resident state). */
    long pointer() {
        return pointer;
    }

    long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        if (pointer != 0) {
            memory.free(pointer);
            pointer = 0;
            bytes = 0;
        }
    }
}
