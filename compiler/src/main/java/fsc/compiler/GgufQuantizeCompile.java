package fsc.compiler;

import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufFileType;
import fsc.frontend.gguf.GgufRequantizer;
import fsc.frontend.gguf.arch.DecoderNumerics;
import fsc.frontend.gguf.arch.DecoderParams;
import fsc.passes.Pass;
import fsc.passes.Pipelines;
import fsc.passes.QuantizePass;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The compile step of {@code fsc compile model.gguf --quantize q8_0|q4_0|q4_k}: decides every
 * tensor's type by llama-quantize's rules for that file type ({@link GgufRequantizer#plan}, which
 * refuses a plan fsc cannot carry out before any work) and places the {@code quantize} pass, which
 * converts the weights with ggml's reference quantizers, in the pipeline. The weights then equal
 * {@code llama-quantize}'s byte for byte, so the jar is the one fsc compiles from llama.cpp's file.
 */
final class GgufQuantizeCompile {
    private GgufQuantizeCompile() {}

    /** The file type {@code --quantize} names (Applicability has checked it is one). */
    static GgufFileType fileType(CompileSettings s) {
        return GgufFileType.byCliName(s.quantize().mode())
                .orElseThrow(() -> new IllegalStateException("GgufQuantizeCompile: --quantize "
                        + s.quantize().mode() + " passed Applicability but is no GGUF file type"));
    }

    /** The plan for {@code file}: tensor name → new type (refused in one line when it cannot be carried out). */
    static Map<String, GgmlType> plan(CompileSettings s, GgufFile file) {
        DecoderParams p = DecoderParams.read(file);
        return GgufRequantizer.plan(
                file, fileType(s), GgufRequantizer.model(file, p.arch().name(), p.layers(), p.heads(), p.kvHeads()));
    }

    /** {@code pipeline} with the {@code quantize} pass that carries out {@code plan}, where the ONNX path puts it. */
    static List<Pass> withPass(
            CompileSettings s,
            Map<String, GgmlType> plan,
            DecoderNumerics numerics,
            List<Pass> pipeline,
            CompileProgress progress) {
        TreeMap<GgmlType, Integer> byType = new TreeMap<>();
        plan.values().forEach(t -> byType.merge(t, 1, Integer::sum));
        StringBuilder types = new StringBuilder();
        byType.forEach((t, n) ->
                types.append(types.isEmpty() ? "" : ", ").append(n).append(' ').append(t));
        GgufFileType f = fileType(s);
        progress.step("re-quantizing " + plan.size() + " tensors by llama-quantize's " + f.llamaName() + " rules: "
                + (types.isEmpty() ? "none change" : types));
        AtomicLong nanos = new AtomicLong();
        AtomicInteger done = new AtomicInteger();
        QuantizePass pass = QuantizePass.requantize(
                (weight, data) -> {
                    GgmlType target = plan.get(weight);
                    if (target == null) {
                        return null;
                    }
                    long t0 = System.nanoTime();
                    var out = GgufRequantizer.quantize(data, target);
                    long total = nanos.addAndGet(System.nanoTime() - t0);
                    if (done.incrementAndGet() == plan.size()) {
                        progress.step(String.format(Locale.ROOT, "re-quantized in %.1f s", total / 1e9));
                    }
                    return out;
                },
                numerics == DecoderNumerics.LLAMA_CPP);
        return Pipelines.withQuantize(pipeline, pass);
    }
}
