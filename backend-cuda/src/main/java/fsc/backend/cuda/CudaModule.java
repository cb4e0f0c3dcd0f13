package fsc.backend.cuda;

import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Every kernel of one model in launch order, and the single CUDA C translation unit holding them
 * (one nvcc/NVRTC call per model, one {@code cuModuleLoadData} at run time). Emission is a pure
 * function of the graph: same graph, byte-identical source.
 */
public record CudaModule(
        String source,
        List<Kernel> kernels,
        DeviceLayout layout,
        List<String> symbols,
        Map<String, Long> bounds,
        Set<String> updatedInPlace) {

    /** Block-wide reductions shared by the row kernels: warp shuffles, then one warp over the partials. */
    static final String PRELUDE =
            """
            __device__ __forceinline__ float fsc_warp_sum(float v) {
              for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
              return v;
            }
            __device__ __forceinline__ float fsc_warp_max(float v) {
              for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
              return v;
            }
            // red: 32 floats of shared memory; every thread of the block must call (blockDim.x % 32 == 0).
            __device__ float fsc_block_sum(float v, float* red) {
              const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
              v = fsc_warp_sum(v);
              __syncthreads();
              if (lane == 0) red[warp] = v;
              __syncthreads();
              v = lane < warps ? red[lane] : 0.0f;
              return fsc_warp_sum(v);
            }
            __device__ float fsc_block_max(float v, float* red) {
              const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
              v = fsc_warp_max(v);
              __syncthreads();
              if (lane == 0) red[warp] = v;
              __syncthreads();
              v = lane < warps ? red[lane] : -INFINITY;
              return fsc_warp_max(v);
            }
            """;

    /** Emits every non-view node of {@code g} (checked with {@link CudaKernelSupport#check} first). */
    public static CudaModule emit(Graph g, DeviceLayout layout, CudaLanguage lang, String banner) {
        CudaKernelSupport.check(g);
        List<String> symbols = List.copyOf(g.symbols().keySet());
        List<Kernel> kernels = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (DeviceLayout.VIEW_OPS.contains(n.op())) {
                continue;
            }
            KernelScope scope = new KernelScope(n, layout, lang, symbols, KernelScope.kernelName(n, kernels.size()));
            kernels.addAll(CudaKernelSupport.find(n).emit().apply(scope));
        }
        StringBuilder src = new StringBuilder();
        banner.lines().forEach(l -> src.append("// ").append(l).append('\n'));
        src.append(lang.header()).append(PRELUDE).append(QuantCuda.PRELUDE);
        for (Kernel k : kernels) {
            src.append('\n').append(k.source());
        }
        return new CudaModule(
                src.toString(), List.copyOf(kernels), layout, symbols, new TreeMap<>(g.symbols()), updatedInPlace(g));
    }

    /**
     * Graph inputs that kernels write: the paged KV cache operand of {@code paged_attention} (the
     * runtime's state, updated in place), followed back through views to the input it aliases.
     */
    static Set<String> updatedInPlace(Graph g) {
        Map<Value, Node> producer = new java.util.IdentityHashMap<>();
        for (Node n : g.nodes()) {
            n.outputs().forEach(o -> producer.put(o, n));
        }
        Set<String> names = new TreeSet<>();
        for (Node n : g.nodes()) {
            if (!n.op().equals("paged_attention")) {
                continue;
            }
            Value v = n.input(3);
            while (producer.containsKey(v)
                    && DeviceLayout.VIEW_OPS.contains(producer.get(v).op())) {
                v = producer.get(v).input(0);
            }
            if (g.inputs().contains(v)) {
                names.add(v.name());
            }
        }
        return Set.copyOf(names);
    }
}
