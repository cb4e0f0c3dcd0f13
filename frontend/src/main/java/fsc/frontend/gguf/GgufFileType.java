package fsc.frontend.gguf;

import java.util.Locale;
import java.util.Optional;

/**
 * The file types {@code fsc compile model.gguf --quantize T} re-quantizes to, each named as {@code
 * llama-quantize} names it and mixed by its rules ({@link LlamaQuantRules}): {@code q4_k} is
 * llama-quantize's {@code Q4_K}, an alias of {@code Q4_K_M} (Q4_K with Q6_K for the output and for
 * the more sensitive half of the attention-value and FFN-down layers).
 */
public enum GgufFileType {
    Q8_0(GgmlType.Q8_0, "Q8_0"),
    Q4_0(GgmlType.Q4_0, "Q4_0"),
    Q4_K(GgmlType.Q4_K, "Q4_K_M");

    private final GgmlType defaultType;
    private final String llamaName;

    GgufFileType(GgmlType defaultType, String llamaName) {
        this.defaultType = defaultType;
        this.llamaName = llamaName;
    }

    /** The tensor type of the mixture's ordinary layers (llama.cpp's {@code llama_ftype_get_default_type}). */
    public GgmlType defaultType() {
        return defaultType;
    }

    /** llama.cpp's name of the mixture ({@code LLAMA_FTYPE_MOSTLY_...}). */
    public String llamaName() {
        return llamaName;
    }

    /** The {@code --quantize} spelling: {@code q8_0}, {@code q4_0}, {@code q4_k}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<GgufFileType> byCliName(String name) {
        for (GgufFileType t : values()) {
            if (t.cliName().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
