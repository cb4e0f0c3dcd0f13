package fsc.runtime.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Host-side CUDA runtime logic that needs no GPU: argument packing, geometry, probing, error text. */
class CudaRuntimeHostTest {
    @Test
    void packsArenaWeightsStateAndSymbolsAsPointersToEightByteValues() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = KernelArgs.pack(a, 0x7000_0000L, 0x9000_0000L, 0xA000_0000L, new long[] {32, 128});
            long[] got = new long[5];
            for (int i = 0; i < 5; i++) {
                got[i] = p.getAtIndex(ADDRESS, i).reinterpret(8).get(JAVA_LONG, 0);
            }
            assertEquals(
                    List.of(0x7000_0000L, 0x9000_0000L, 0xA000_0000L, 32L, 128L),
                    java.util.Arrays.stream(got).boxed().toList());
        }
    }

    @Test
    void blocksRoundUpAndClamp() {
        assertEquals(2, KernelLaunch.blocks(257, 256, 100));
        assertEquals(1, KernelLaunch.blocks(0, 256, 100));
        assertEquals(100, KernelLaunch.blocks(1_000_000, 256, 100));
    }

    @Test
    void candidatesTryBareSonamesBeforeToolkitFolders() {
        List<String> c =
                NativeLibraries.candidates(List.of("libnvrtc.so.13", "libnvrtc.so.12"), List.of("/opt/cuda/lib64"));
        assertEquals(
                List.of(
                        "libnvrtc.so.13",
                        "libnvrtc.so.12",
                        "/opt/cuda/lib64/libnvrtc.so.13",
                        "/opt/cuda/lib64/libnvrtc.so.12"),
                c);
    }

    @Test
    void failedCallNamesTheCallAndTheCode() {
        CudaException e = assertThrows(CudaException.class, () -> CudaErrors.check("cuMemAlloc_v2", 2));
        assertEquals("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)", e.getMessage());
        assertEquals(2, e.code());
        CudaErrors.check("cuInit", 0);
    }

    @Test
    void withoutADriverOpeningSaysSoInOneLine() {
        if (CudaDriver.load().isPresent()) {
            System.err.println("SKIPPED check: this machine has a CUDA driver");
            return;
        }
        CudaUnavailableException e =
                assertThrows(CudaUnavailableException.class, () -> CudaModel.open(null, "", MemorySegment.NULL));
        assertEquals(CudaDriver.NO_DRIVER, e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }
}
