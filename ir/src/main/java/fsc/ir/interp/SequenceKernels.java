package fsc.ir.interp;

import fsc.ir.Container;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Node;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sequence and optional ops ({@code fsc.ir.ops.SequenceOps}) over {@link HostContainer} values:
 * the reference the Java backend's {@code Containers} helpers are tested against. Elements are shared,
 * not copied: the interpreter never writes a tensor after producing it.
 */
final class SequenceKernels {
    private SequenceKernels() {}

    static HostTensor run(Call c) {
        Node n = c.node();
        DType dtype = c.outType();
        return switch (n.op()) {
            case "container_identity" -> c.in(0);
            case "sequence_empty" -> sequence(dtype, List.of());
            case "sequence_construct" -> sequence(dtype, c.in());
            case "sequence_insert" -> {
                List<HostTensor> s = new ArrayList<>(held(c, 0).elements());
                int at = c.in().size() == 3 ? position(c, c.in(2).getLong(0), s.size(), true) : s.size();
                s.add(at, c.in(1));
                yield sequence(dtype, s);
            }
            case "sequence_erase" -> {
                List<HostTensor> s = new ArrayList<>(held(c, 0).elements());
                int at = position(c, c.in().size() == 2 ? c.in(1).getLong(0) : -1, s.size(), false);
                s.remove(at);
                yield sequence(dtype, s);
            }
            case "sequence_length" ->
                HostTensor.ofLongs(new long[0], held(c, 0).elements().size());
            case "split_to_sequence" -> sequence(dtype, split(c));
            case "optional" ->
                HostTensor.container(
                        dtype,
                        c.outShape(),
                        new HostContainer(
                                n.outputs().getFirst().type().container(),
                                c.in().isEmpty() ? List.of() : List.of(c.in(0))));
            case "optional_has_element" ->
                HostTensor.ofInts(DType.BOOL, new long[0], held(c, 0).elements().isEmpty() ? 0 : 1);
            case "optional_get_element" -> {
                List<HostTensor> held = held(c, 0).elements();
                if (held.isEmpty()) {
                    throw c.fail("OptionalGetElement of an empty optional");
                }
                HostTensor v = held.getFirst();
                if (v.held() == null && !Arrays.equals(v.shape(), c.outShape())) {
                    throw c.fail("the optional holds " + Arrays.toString(v.shape()) + ", its type says "
                            + Arrays.toString(c.outShape()));
                }
                yield v;
            }
            default -> throw new IllegalStateException(n.where() + " is not a sequence or optional op");
        };
    }

    private static HostTensor sequence(DType dtype, List<HostTensor> elements) {
        return HostTensor.container(dtype, new long[0], new HostContainer(Container.SEQUENCE, elements));
    }

    private static HostContainer held(Call c, int i) {
        HostContainer h = c.in(i).held();
        if (h == null) {
            throw new IllegalStateException(c.node().where() + ": operand " + i + " holds no container");
        }
        return h;
    }

    private static int position(Call c, long position, int size, boolean insert) {
        long at = position < 0 ? position + size : position;
        if (at < 0 || at > size || (!insert && at == size)) {
            throw c.fail("position " + position + " is out of range for a sequence of " + size);
        }
        return (int) at;
    }

    /** ONNX SplitToSequence: pieces of 1 (axis dropped unless keepdims), of a scalar size, or of listed sizes. */
    private static List<HostTensor> split(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        int axis = (int) c.node().intAttr("axis");
        if (axis < 0) {
            axis += shape.length;
        }
        long length = shape[axis];
        List<Long> sizes = new ArrayList<>();
        boolean squeeze = false;
        if (c.in().size() == 1) {
            for (long i = 0; i < length; i++) {
                sizes.add(1L);
            }
            squeeze = c.node().intAttr("keepdims") == 0;
        } else if (c.in(1).rank() == 0) {
            long piece = c.in(1).getLong(0);
            if (piece <= 0) {
                throw c.fail("split " + piece + " must be positive");
            }
            for (long at = 0; at < length; at += piece) {
                sizes.add(Math.min(piece, length - at));
            }
        } else {
            long sum = 0;
            for (int i = 0; i < c.in(1).size(); i++) {
                sizes.add(c.in(1).getLong(i));
                sum += c.in(1).getLong(i);
            }
            if (sum != length || sizes.stream().anyMatch(s -> s < 0)) {
                throw c.fail("split sizes " + sizes + " do not cover the axis of " + length);
            }
        }
        if (x.dtype().isSubByte()) {
            throw new FscException(
                    c.node().where() + ": splitting packed " + x.dtype().irName() + " is not supported");
        }
        long outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        long inner = x.dtype().bytesFor(HostTensor.count(Arrays.copyOfRange(shape, axis + 1, shape.length)));
        ByteBuffer src = x.dataView();
        List<HostTensor> pieces = new ArrayList<>();
        long start = 0;
        for (long size : sizes) {
            long[] piece = shape.clone();
            piece[axis] = size;
            HostTensor t = HostTensor.zeros(x.dtype(), piece);
            ByteBuffer dst = t.dataView();
            int row = Math.toIntExact(size * inner);
            for (long o = 0; o < outer; o++) {
                dst.put(Math.toIntExact(o * row), src, Math.toIntExact((o * length + start) * inner), row);
            }
            if (squeeze) {
                long[] dropped = new long[piece.length - 1];
                for (int i = 0, k = 0; i < piece.length; i++) {
                    if (i != axis) {
                        dropped[k++] = piece[i];
                    }
                }
                t = new HostTensor(t.dtype(), dropped, t.dataView());
            }
            pieces.add(t);
            start += size;
        }
        return pieces;
    }
}
