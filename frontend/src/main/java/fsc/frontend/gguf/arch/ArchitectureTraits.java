package fsc.frontend.gguf.arch;

import fsc.ir.FscException;
import java.util.List;

/**
 * What distinguishes one LLaMA-family architecture from another, as data: the decoder builder
 * reads these switches, so a new family is one more row here (plus tensor names, if they differ).
 *
 * @param ropeInterleaved true: llama.cpp's "normal" rope (pairs 2i, 2i+1; LLaMA's GGUF export
 *     permutes Q/K for it); false: NeoX rope (pairs i, i + d/2)
 * @param qkvBias the Q/K/V projections have bias vectors ({@code attn_q.bias}, ...)
 * @param geluFfn the gated FFN uses GELU (tanh) instead of SiLU
 * @param scaleEmbedding token embeddings are multiplied by sqrt(dim) (Gemma)
 */
public record ArchitectureTraits(
        String name, boolean ropeInterleaved, boolean qkvBias, boolean geluFfn, boolean scaleEmbedding) {

    /** Every architecture fsc builds, by {@code general.architecture}. */
    public static final List<ArchitectureTraits> KNOWN = List.of(
            new ArchitectureTraits("llama", true, false, false, false),
            new ArchitectureTraits("qwen2", false, true, false, false),
            new ArchitectureTraits("gemma", false, false, true, true));

    public static ArchitectureTraits of(String architecture, String where) {
        for (ArchitectureTraits t : KNOWN) {
            if (t.name().equals(architecture)) {
                return t;
            }
        }
        throw new FscException(
                where + ": architecture '" + architecture + "' is not supported",
                "fsc builds "
                        + String.join(
                                ", ",
                                KNOWN.stream().map(ArchitectureTraits::name).toList()));
    }
}
