package fsc.runtime.kernels;

import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import fsc.runtime.TensorSequence;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sequence and optional ops of generated code (ONNX SequenceInsert, SplitToSequence, Optional...).
 * A sequence is an immutable {@link TensorSequence}; an optional a {@link java.util.Optional} of a
 * tensor or sequence. Every tensor that enters a container is copied into GC-managed memory, because
 * the model's arena slot it came from is reused by later nodes and calls: these ops allocate, unlike
 * the tensor kernels, in proportion to the data they hold (sequences are run-time lists).
 */
public final class Containers {
    private Containers() {}

    /** A tensor over the first bytes of {@code data} (an arena slot sized for the bound), of {@code shape}. */
    public static Tensor view(ElemType type, MemorySegment data, long... shape) {
        return new Tensor(type, shape, data.asSlice(0, type.bytesFor(Tensor.countOf(shape))));
    }

    /** A copy of {@code t} that outlives the arena. */
    static Tensor copy(Tensor t) {
        Tensor c = Tensor.allocate(t.type(), t.shape(), Arena.ofAuto());
        MemorySegment.copy(t.data(), 0, c.data(), 0, t.data().byteSize());
        return c;
    }

    public static TensorSequence empty(ElemType type) {
        return new TensorSequence(type, List.of());
    }

    public static TensorSequence construct(ElemType type, Tensor... elements) {
        List<Tensor> copies = new ArrayList<>();
        for (Tensor t : elements) {
            copies.add(copy(t));
        }
        return new TensorSequence(type, copies);
    }

    /** {@code t} inserted at {@code position} (ONNX: negative counts from the end; {@code size} appends). */
    public static TensorSequence insert(Object sequence, Tensor t, long position) {
        TensorSequence s = (TensorSequence) sequence;
        int at = position(s, position, true);
        List<Tensor> out = new ArrayList<>(s.elements());
        out.add(at, copy(t));
        return new TensorSequence(s.type(), out);
    }

    public static TensorSequence insertLast(Object sequence, Tensor t) {
        return insert(sequence, t, ((TensorSequence) sequence).size());
    }

    public static TensorSequence erase(Object sequence, long position) {
        TensorSequence s = (TensorSequence) sequence;
        int at = position(s, position, false);
        List<Tensor> out = new ArrayList<>(s.elements());
        out.remove(at);
        return new TensorSequence(s.type(), out);
    }

    public static TensorSequence eraseLast(Object sequence) {
        return erase(sequence, -1);
    }

    public static long length(Object sequence) {
        return ((TensorSequence) sequence).size();
    }

    /** The first element of an integer tensor: a position operand. */
    public static long scalar(Tensor t) {
        return t.getLong(0);
    }

    private static int position(TensorSequence s, long position, boolean insert) {
        long n = s.size();
        long at = position < 0 ? position + n : position;
        if (at < 0 || at > n || (!insert && at == n)) {
            throw new RuntimeFailure("sequence position " + position + " is out of range for a sequence of " + n
                    + (insert ? " (insert takes -n..n)" : " (erase takes -n..n-1)"));
        }
        return (int) at;
    }

    /**
     * ONNX SplitToSequence: {@code split} null splits into pieces of 1 along {@code axis} (dropped when
     * {@code keepdims} is false); a scalar gives pieces of that size (the last one shorter); a list
     * gives the sizes, which must sum to the axis.
     */
    public static TensorSequence split(Tensor x, int axis, Tensor split, boolean keepdims) {
        long[] shape = x.shape();
        long length = shape[axis];
        long[] sizes;
        if (split == null) {
            sizes = new long[Math.toIntExact(length)];
            Arrays.fill(sizes, 1);
        } else if (split.rank() == 0) {
            long piece = split.getLong(0);
            if (piece <= 0) {
                throw new RuntimeFailure("SplitToSequence: split " + piece + " must be positive");
            }
            sizes = new long[Math.toIntExact((length + piece - 1) / piece)];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = Math.min(piece, length - i * piece);
            }
        } else {
            sizes = new long[Math.toIntExact(split.elementCount())];
            long sum = 0;
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = split.getLong(i);
                if (sizes[i] < 0) {
                    throw new RuntimeFailure("SplitToSequence: split size " + sizes[i] + " is negative");
                }
                sum += sizes[i];
            }
            if (sum != length) {
                throw new RuntimeFailure("SplitToSequence: split sizes " + Arrays.toString(sizes) + " sum to " + sum
                        + ", the axis has " + length);
            }
        }
        long outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        long inner = x.type().bytesFor(Tensor.countOf(Arrays.copyOfRange(shape, axis + 1, shape.length)));
        List<Tensor> pieces = new ArrayList<>();
        long start = 0;
        boolean squeeze = split == null && !keepdims;
        for (long size : sizes) {
            long[] piece = shape.clone();
            piece[axis] = size;
            Tensor t = Tensor.allocate(x.type(), piece, Arena.ofAuto());
            long rowBytes = size * inner;
            for (long o = 0; o < outer; o++) {
                MemorySegment.copy(x.data(), (o * length + start) * inner, t.data(), o * rowBytes, rowBytes);
            }
            if (squeeze) {
                long[] dropped = new long[piece.length - 1];
                for (int i = 0, k = 0; i < piece.length; i++) {
                    if (i != axis) {
                        dropped[k++] = piece[i];
                    }
                }
                t = new Tensor(t.type(), dropped, t.data());
            }
            pieces.add(t);
            start += size;
        }
        return new TensorSequence(x.type(), pieces);
    }

    /** ONNX Optional(x): a tensor is copied out of the arena; a sequence is immutable already. */
    public static Optional<Object> wrap(Object value) {
        return Optional.of(value instanceof Tensor t ? copy(t) : value);
    }

    public static Optional<Object> none() {
        return Optional.empty();
    }

    public static boolean hasElement(Object optional) {
        return ((Optional<?>) optional).isPresent();
    }

    public static Object getElement(Object optional) {
        return ((Optional<?>) optional)
                .orElseThrow(() -> new RuntimeFailure("OptionalGetElement of an empty optional"));
    }

    /** Copies tensor {@code value} into {@code dst} after checking it has {@code shape}, the type the model was compiled for. */
    public static void store(Object value, MemorySegment dst, long... shape) {
        Tensor t = (Tensor) value;
        if (!Arrays.equals(t.shape(), shape)) {
            throw new RuntimeFailure("an optional holds " + t.type().shortName() + t.shapeString() + ", the model was"
                    + " compiled for " + Arrays.toString(shape));
        }
        MemorySegment.copy(t.data(), 0, dst, 0, t.data().byteSize());
    }

    /**
     * Container input {@code name} of {@code inputs}, checked against its declared kind: {@code "seq"},
     * {@code "opt"} (an optional tensor of {@code shape}) or {@code "opt_seq"}, of element type {@code type}.
     */
    public static Object input(Map<String, Object> inputs, String name, String kind, ElemType type, long... shape) {
        if (!inputs.containsKey(name)) {
            throw new RuntimeFailure("missing input '" + name + "'");
        }
        Object v = inputs.get(name);
        String problem = check(v, kind, type, shape);
        if (problem != null) {
            throw new RuntimeFailure("input '" + name + "' " + problem);
        }
        return v;
    }

    private static String check(Object v, String kind, ElemType type, long[] shape) {
        switch (kind) {
            case "seq" -> {
                if (!(v instanceof TensorSequence s) || s.type() != type) {
                    return "must be a sequence of " + type.shortName() + ", got " + v;
                }
                return null;
            }
            case "opt", "opt_seq" -> {
                if (!(v instanceof Optional<?> o)) {
                    return "must be an Optional, got " + v;
                }
                if (o.isEmpty()) {
                    return null;
                }
                if (kind.equals("opt_seq")) {
                    return check(o.get(), "seq", type, shape);
                }
                if (!(o.get() instanceof Tensor t) || t.type() != type || !Arrays.equals(t.shape(), shape)) {
                    return "must hold a " + type.shortName() + Arrays.toString(shape) + ", got " + o.get();
                }
                return null;
            }
            default -> throw new IllegalStateException("unknown container kind " + kind);
        }
    }

    /** Tensor input {@code name} of a model that also takes containers. */
    public static Tensor tensorInput(Map<String, Object> inputs, String name) {
        Object v = inputs.get(name);
        if (!(v instanceof Tensor t)) {
            throw new RuntimeFailure(
                    v == null ? "missing input '" + name + "'" : "input '" + name + "' must be a tensor, got " + v);
        }
        return t;
    }

    /** Fails on an input name the model does not take. */
    public static void checkNames(Map<String, Object> inputs, List<String> names) {
        for (String n : inputs.keySet()) {
            if (!names.contains(n)) {
                throw new RuntimeFailure("unknown input '" + n + "'; the model's inputs are " + names);
            }
        }
    }
}
