package fsc.frontend.gguf;

import fsc.frontend.gguf.GgufValue.ArrayValue;
import fsc.frontend.gguf.GgufValue.BoolValue;
import fsc.frontend.gguf.GgufValue.FloatValue;
import fsc.frontend.gguf.GgufValue.IntValue;
import fsc.frontend.gguf.GgufValue.StringValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SequencedMap;

/**
 * What {@code fsc inspect model.gguf} shows: the architecture, its hyper-parameters (every scalar
 * {@code <arch>.*} key, in file order), a histogram of tensor types with their bytes, the parameter
 * count and the tokenizer. Values are read once; {@link #render} is a pure function of them.
 */
public record GgufModelInfo(
        String file,
        int version,
        String architecture,
        String name,
        SequencedMap<String, String> hyperParameters,
        List<TypeStats> types,
        long parameters,
        long tensorBytes,
        String tokenizerModel,
        int vocabSize,
        OptionalLong bosId,
        OptionalLong eosId) {

    public GgufModelInfo {
        hyperParameters = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(hyperParameters));
        types = List.copyOf(types);
    }

    /** Tensors of one ggml type: how many, their elements and bytes. */
    public record TypeStats(GgmlType type, int tensors, long elements, long bytes) {}

    public static GgufModelInfo read(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            return of(f);
        }
    }

    public static GgufModelInfo of(GgufFile f) {
        GgufMetadata m = f.metadata();
        String arch = m.getString("general.architecture", "(unknown)");
        SequencedMap<String, String> hp = new LinkedHashMap<>();
        m.asMap().forEach((key, value) -> {
            if (key.startsWith(arch + ".")) {
                hp.put(key.substring(arch.length() + 1), render(value));
            }
        });
        Map<GgmlType, long[]> byType = new EnumMap<>(GgmlType.class);
        long params = 0;
        long bytes = 0;
        for (GgufTensorInfo t : f.tensors()) {
            long[] s = byType.computeIfAbsent(t.type(), k -> new long[3]);
            s[0]++;
            s[1] += t.elementCount();
            s[2] += t.byteSize();
            params += t.elementCount();
            bytes += t.byteSize();
        }
        List<TypeStats> types = new ArrayList<>();
        byType.forEach((type, s) -> types.add(new TypeStats(type, (int) s[0], s[1], s[2])));
        int vocab = m.has("tokenizer.ggml.tokens")
                ? m.getArray("tokenizer.ggml.tokens").items().size()
                : 0;
        return new GgufModelInfo(
                f.label(),
                f.version(),
                arch,
                m.getString("general.name", ""),
                hp,
                List.copyOf(types),
                params,
                bytes,
                m.getString("tokenizer.ggml.model", "(none)"),
                vocab,
                optionalId(m, "tokenizer.ggml.bos_token_id"),
                optionalId(m, "tokenizer.ggml.eos_token_id"));
    }

    private static OptionalLong optionalId(GgufMetadata m, String key) {
        return m.has(key) ? OptionalLong.of(m.getLong(key)) : OptionalLong.empty();
    }

    /** A metadata value as one short piece of text; arrays are summarised, not listed. */
    static String render(GgufValue v) {
        return switch (v) {
            case IntValue i when i.type() == GgufValueType.UINT64 -> Long.toUnsignedString(i.value());
            case IntValue i -> Long.toString(i.value());
            case FloatValue f when f.type() == GgufValueType.FLOAT32 -> Float.toString((float) f.value());
            case FloatValue f -> Double.toString(f.value());
            case BoolValue b -> Boolean.toString(b.value());
            case StringValue s -> s.value();
            case ArrayValue a ->
                "[" + a.items().size() + " x " + a.elementType().name().toLowerCase(Locale.ROOT) + "]";
        };
    }

    /** The multi-line report printed by {@code fsc inspect}. */
    public String render() {
        StringBuilder out = new StringBuilder();
        out.append(file).append(": GGUF v").append(version).append('\n');
        out.append(String.format(
                Locale.ROOT, "architecture  %s%s%n", architecture, name.isEmpty() ? "" : " (" + name + ")"));
        out.append("hyper-parameters\n");
        int width =
                hyperParameters.keySet().stream().mapToInt(String::length).max().orElse(0);
        hyperParameters.forEach((k, v) -> out.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n", k, v)));
        out.append("tensors\n");
        for (TypeStats t : types) {
            out.append(String.format(
                    Locale.ROOT,
                    "  %-7s %5d tensors %,15d params %,17d bytes%n",
                    t.type().name(),
                    t.tensors(),
                    t.elements(),
                    t.bytes()));
        }
        out.append(String.format(
                Locale.ROOT,
                "  %-7s %5d tensors %,15d params %,17d bytes%n",
                "total",
                types.stream().mapToInt(TypeStats::tensors).sum(),
                parameters,
                tensorBytes));
        out.append(String.format(Locale.ROOT, "tokenizer     %s, %d tokens", tokenizerModel, vocabSize));
        bosId.ifPresent(id -> out.append(", bos ").append(id));
        eosId.ifPresent(id -> out.append(", eos ").append(id));
        out.append('\n');
        return out.toString();
    }
}
