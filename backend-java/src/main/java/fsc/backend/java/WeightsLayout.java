package fsc.backend.java;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Places every constant the graph reads in {@code fsc/weights.bin}, each at a 64-byte aligned offset
 * (cache line and widest vector), in the graph's constant order. The generated class records the
 * offsets as {@code static final long}s and slices the mapped file, so weights are never copied.
 */
final class WeightsLayout {
    static final int ALIGN = fsc.runtime.JarLayout.ALIGNMENT;

    /** One constant's place in the file. */
    record Entry(Constant constant, WeightData data, long offset, long bytes) {}

    private final List<Entry> entries;
    private final Map<Value, Integer> index;
    private final long totalBytes;

    private WeightsLayout(List<Entry> entries, Map<Value, Integer> index, long totalBytes) {
        this.entries = entries;
        this.index = index;
        this.totalBytes = totalBytes;
    }

    static WeightsLayout of(Graph g) {
        Set<Value> used = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : g.nodes()) {
            used.addAll(n.inputs());
        }
        used.addAll(g.outputs());
        List<Entry> entries = new ArrayList<>();
        Map<Value, Integer> index = new IdentityHashMap<>();
        long offset = 0;
        for (Constant c : g.constants()) {
            if (!used.contains(c.value())) {
                continue;
            }
            WeightData w = g.weights().get(c.weight());
            long bytes = w.bytes().remaining();
            index.put(c.value(), entries.size());
            entries.add(new Entry(c, w, offset, bytes));
            offset = align(offset + bytes);
        }
        return new WeightsLayout(List.copyOf(entries), index, offset);
    }

    static long align(long v) {
        return (v + ALIGN - 1) / ALIGN * ALIGN;
    }

    List<Entry> entries() {
        return entries;
    }

    /** Constant value → index into the generated {@code constBuf} array. */
    Map<Value, Integer> index() {
        return Collections.unmodifiableMap(index);
    }

    long totalBytes() {
        return totalBytes;
    }

    /** The single element of a one-element f32/f64/integer constant, for compile-time specialisation. */
    Double scalarValue(Value v) {
        Integer i = index.get(v);
        if (i == null || entries.get(i).data().elementCount() != 1) {
            return null;
        }
        WeightData w = entries.get(i).data();
        ByteBuffer b = w.view();
        return switch (w.dtype()) {
            case F32 -> (double) b.getFloat(b.position());
            case F64 -> b.getDouble(b.position());
            case I64 -> (double) b.getLong(b.position());
            case I32 -> (double) b.getInt(b.position());
            default -> null;
        };
    }

    DType dtype(int i) {
        return entries.get(i).data().dtype();
    }

    /** The file's bytes, zero padding between entries. */
    byte[] fileBytes() {
        if (totalBytes > Integer.MAX_VALUE - 64) {
            throw new fsc.ir.FscException(
                    "weights are " + totalBytes + " bytes; the Java backend packs at most 2 GiB per jar");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) totalBytes);
        try (WritableByteChannel ch = Channels.newChannel(out)) {
            long pos = 0;
            for (Entry e : entries) {
                out.write(new byte[(int) (e.offset() - pos)]);
                ch.write(e.data().view());
                pos = e.offset() + e.bytes();
            }
            out.write(new byte[(int) (totalBytes - pos)]);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
        return out.toByteArray();
    }
}
