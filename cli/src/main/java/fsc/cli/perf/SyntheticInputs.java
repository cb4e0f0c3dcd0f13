package fsc.cli.perf;

import fsc.ir.FscException;
import fsc.runtime.ElemType;
import fsc.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Random inputs that fit a model's signature, for {@code fsc bench} and {@code fsc profile}:
 *
 * <ul>
 *   <li>symbols: {@code --batch} names the symbol at axis 0 of the inputs, {@code --seq} the one at
 *       axis 1, {@code --dim SYM=N} any; unset ones take 1 (axis-0 symbols) or min(128, bound);
 *   <li>floats: N(0, 1); integers that index a table ({@code fsc/nodes.json} ranges, e.g. token ids):
 *       uniform in the table's rows; names with "mask": 1; other integers 0 (reported in {@link
 *       #notes}); bool: true.
 * </ul>
 *
 * Seeded, so two runs time the same data.
 */
public final class SyntheticInputs {
    private SyntheticInputs() {}

    /** A run's symbol values and the inputs that realise them. */
    public record Run(Map<String, Long> binding, Map<String, Tensor> inputs) {}

    /**
     * The inputs of a bench or profile run: the {@code --input} files when given (then {@code
     * --batch/--seq/--dim} are refused, the files' shapes set the sizes), else random inputs for the
     * symbols those options set; {@code notes} receives a line per input filled without a known range.
     */
    public static Run resolve(
            ModelSignature sig,
            Map<String, java.nio.file.Path> files,
            Long batch,
            Long seq,
            Map<String, Long> dims,
            Map<String, long[]> ranges,
            List<String> notes) {
        if (!files.isEmpty()) {
            if (batch != null || seq != null || !dims.isEmpty()) {
                throw new FscException(
                        "--batch/--seq/--dim do not apply with --input: the inputs' shapes set the sizes");
            }
            Map<String, Tensor> in = new LinkedHashMap<>();
            files.forEach((k, v) -> in.put(k, fsc.runtime.io.TensorFiles.read(v)));
            return new Run(bindFrom(sig, in), in);
        }
        Map<String, Long> binding = bind(sig, batch, seq, dims);
        return new Run(binding, make(sig, binding, ranges, notes));
    }

    /** The symbol values of a run; refuses options that name no symbol of this model. */
    public static Map<String, Long> bind(ModelSignature sig, Long batch, Long seq, Map<String, Long> dims) {
        Map<String, Long> out = new LinkedHashMap<>();
        String batchSym = sig.symbolAt(0);
        String seqSym = sig.symbolAt(1);
        if (batch != null && batchSym == null) {
            throw new FscException(
                    "--batch does not apply: no input of " + sig.name() + " has a symbolic first dim "
                            + sig.describeInputs(),
                    "leave --batch out");
        }
        if (seq != null && (seqSym == null || seqSym.equals(batchSym))) {
            throw new FscException(
                    "--seq does not apply: no input of " + sig.name() + " has a symbolic second dim "
                            + sig.describeInputs(),
                    "leave --seq out");
        }
        for (String s : dims.keySet()) {
            if (!sig.bounds().containsKey(s)) {
                throw new FscException("--dim " + s + ": " + sig.name() + " has no symbol " + s + " (its symbols: "
                        + sig.bounds().keySet() + ")");
            }
        }
        for (Map.Entry<String, Long> e : sig.bounds().entrySet()) {
            String s = e.getKey();
            long v = dims.containsKey(s)
                    ? dims.get(s)
                    : s.equals(batchSym) && batch != null
                            ? batch
                            : s.equals(seqSym) && seq != null
                                    ? seq
                                    : s.equals(batchSym) ? 1 : Math.min(128, e.getValue());
            if (v < 1 || v > e.getValue()) {
                throw new FscException(
                        s + "=" + v + " is outside 1.." + e.getValue() + " (the bound " + sig.name()
                                + " was compiled for)",
                        "recompile with --bound " + s + "=N to raise it");
            }
            out.put(s, v);
        }
        return out;
    }

    /** Inputs for {@code binding}; {@code notes} receives one line per input filled without a known range. */
    public static Map<String, Tensor> make(
            ModelSignature sig, Map<String, Long> binding, Map<String, long[]> ranges, List<String> notes) {
        Random rnd = new Random(42);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (ModelSignature.Input spec : sig.inputs()) {
            if (spec.type() == null) {
                throw new FscException(
                        "input '" + spec.name() + "' is " + spec.dtype() + ", which bench cannot fill",
                        "pass it with --input " + spec.name() + "=FILE.npy");
            }
            long[] shape = spec.dims().stream()
                    .mapToLong(d -> ModelSignature.evaluate(d, binding))
                    .toArray();
            Tensor t = Tensor.allocate(spec.type(), shape, Arena.ofAuto());
            fill(t, spec, ranges.get(spec.name()), rnd, notes);
            in.put(spec.name(), t);
        }
        return in;
    }

    private static void fill(Tensor t, ModelSignature.Input spec, long[] range, Random rnd, List<String> notes) {
        MemorySegment d = t.data();
        long n = Tensor.countOf(t.shape());
        ElemType type = spec.type();
        String lower = spec.name().toLowerCase(Locale.ROOT);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < n; i++) {
                    d.setAtIndex(F32, i, (float) rnd.nextGaussian());
                }
            }
            case F64 -> {
                for (long i = 0; i < n; i++) {
                    d.setAtIndex(F64, i, rnd.nextGaussian());
                }
            }
            case F16 -> {
                for (long i = 0; i < n; i++) {
                    d.setAtIndex(I16, i, Float.floatToFloat16((float) rnd.nextGaussian()));
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i++) {
                    d.setAtIndex(I16, i, (short) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 16));
                }
            }
            case BOOL -> d.fill((byte) 1);
            case I8, U8, I16, U16, I32, U32, I64, U64 -> {
                long lo = 0;
                long hi = 1;
                if (range != null) {
                    lo = range[0];
                    hi = range[1];
                } else if (lower.contains("mask")) {
                    lo = 1;
                    hi = 2;
                } else {
                    notes.add("input '" + spec.name() + "' (" + spec.dtype()
                            + ") filled with 0: no known range (pass real data with --input)");
                }
                for (long i = 0; i < n; i++) {
                    long v = lo + (hi - lo > 1 ? (long) (rnd.nextDouble() * (hi - lo)) : 0);
                    switch (type.byteSize()) {
                        case 1 -> d.set(ValueLayout.JAVA_BYTE, i, (byte) v);
                        case 2 -> d.setAtIndex(I16, i, (short) v);
                        case 4 -> d.setAtIndex(I32, i, (int) v);
                        default -> d.setAtIndex(I64, i, v);
                    }
                }
            }
            default ->
                throw new FscException(
                        "input '" + spec.name() + "' is " + spec.dtype() + ", which bench cannot fill",
                        "pass it with --input " + spec.name() + "=FILE.npy");
        }
    }

    /** Symbol values implied by user-given inputs (all inputs given). */
    public static Map<String, Long> bindFrom(ModelSignature sig, Map<String, Tensor> given) {
        List<String> missing = new ArrayList<>();
        Map<String, Long> out = new LinkedHashMap<>();
        for (ModelSignature.Input spec : sig.inputs()) {
            Tensor t = given.get(spec.name());
            if (t == null) {
                missing.add(spec.name());
                continue;
            }
            for (int i = 0; i < spec.dims().size() && i < t.shape().length; i++) {
                if (sig.bounds().containsKey(spec.dims().get(i))) {
                    out.putIfAbsent(spec.dims().get(i), t.shape()[i]);
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new FscException("--input given for some inputs but not for " + missing, "give every input, or none");
        }
        return out;
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
}
