package fsc.runtime.cuda;

import java.lang.foreign.MemorySegment;

/**
 * The three driver calls {@link ResidentBuffer} needs, apart from {@link CudaDriver} so its sizing
 * and upload decisions are unit-tested on machines without a GPU.
 */
interface DeviceMemory {
    long malloc(long bytes);

    void free(long ptr);

    void copyToDevice(long dst, MemorySegment src, long bytes);

    static DeviceMemory of(CudaDriver cu) {
        return new DeviceMemory() {
            @Override
            public long malloc(long bytes) {
                return cu.malloc(bytes);
            }

            @Override
            public void free(long ptr) {
                cu.free(ptr);
            }

            @Override
            public void copyToDevice(long dst, MemorySegment src, long bytes) {
                cu.copyToDevice(dst, src, bytes);
            }
        };
    }
}
