package fsc.frontend.gguf;

import fsc.frontend.gguf.GgufValue.ArrayValue;
import fsc.frontend.gguf.GgufValue.BoolValue;
import fsc.frontend.gguf.GgufValue.FloatValue;
import fsc.frontend.gguf.GgufValue.IntValue;
import fsc.frontend.gguf.GgufValue.StringValue;
import fsc.ir.FscException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Writes GGUF version 3 files: metadata in insertion order, then tensor infos, then each tensor's
 * data at an offset aligned to {@code general.alignment}. Tensor bytes are produced at write time by
 * a {@link TensorFiller} straight into the mapped output, so a multi-gigabyte synthetic model never
 * has to be held in memory; {@link #addF32} quantizes from floats with {@link GgufQuantizer}.
 */
public final class GgufWriter {

    /** Fills a tensor's bytes; {@code dst} is exactly the tensor's byte size and starts zeroed. */
    @FunctionalInterface
    public interface TensorFiller {
        void fill(MemorySegment dst);
    }

    private record Pending(String name, GgmlType type, List<Long> dims, long byteSize, TensorFiller filler) {}

    private final LinkedHashMap<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();
    private long alignment = GgufHeaderReader.DEFAULT_ALIGNMENT;

    /** Adds or replaces a metadata value; keys keep their first insertion position. */
    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValue.string(value));
    }

    public GgufWriter putU32(String key, long value) {
        return put(key, GgufValue.u32(value));
    }

    public GgufWriter putF32(String key, float value) {
        return put(key, GgufValue.f32(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValue.bool(value));
    }

    /** Sets the data alignment (a power of two) and records it as {@code general.alignment}. */
    public GgufWriter alignment(int bytes) {
        if (bytes <= 0 || Integer.bitCount(bytes) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two, got " + bytes);
        }
        alignment = bytes;
        return putU32("general.alignment", bytes);
    }

    /**
     * Adds a tensor whose bytes {@code filler} writes at write time.
     *
     * @param dims ggml order, innermost first: a matrix with 512 rows of 64 is {@code [64, 512]}
     */
    public GgufWriter addTensor(String name, GgmlType type, List<Long> dims, TensorFiller filler) {
        if (!tensorNames.add(name)) {
            throw new IllegalArgumentException("duplicate tensor '" + name + "'");
        }
        if (dims.isEmpty() || dims.size() > GgufHeaderReader.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' needs 1 to 4 dims, got " + dims);
        }
        long elements = dims.stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
        if (dims.getFirst() % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' row length " + dims.getFirst()
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        tensors.add(new Pending(name, type, List.copyOf(dims), type.bytesFor(elements), filler));
        return this;
    }

    /** Adds a tensor from raw bytes already in {@code type}'s layout (copied at write time). */
    public GgufWriter addRaw(String name, GgmlType type, List<Long> dims, MemorySegment bytes) {
        return addTensor(name, type, dims, dst -> {
            if (bytes.byteSize() != dst.byteSize()) {
                throw new IllegalArgumentException(
                        "tensor '" + name + "' needs " + dst.byteSize() + " bytes, got " + bytes.byteSize());
            }
            dst.copyFrom(bytes);
        });
    }

    /** Adds a tensor from floats, converted or quantized to {@code storeAs} at write time. */
    public GgufWriter addF32(String name, GgmlType storeAs, List<Long> dims, float[] values) {
        long elements = dims.stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
        if (elements != values.length) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "' has " + elements + " elements, got " + values.length + " values");
        }
        if (!GgufQuantizer.supports(storeAs)) {
            throw new IllegalArgumentException("cannot quantize to " + storeAs);
        }
        return addTensor(name, storeAs, dims, dst -> GgufQuantizer.quantize(storeAs, values, 0, values.length, dst, 0));
    }

    /** Writes the file, replacing any existing one. */
    public void write(Path path) {
        byte[] head = header();
        long dataOffset = GgufHeaderReader.alignUp(head.length, alignment);
        long size = dataOffset;
        for (Pending t : tensors) {
            size = GgufHeaderReader.alignUp(size, alignment) + t.byteSize();
        }
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(
                        path,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
            MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            out.fill((byte) 0);
            MemorySegment.copy(head, 0, out, ValueLayout.JAVA_BYTE, 0, head.length);
            long offset = 0;
            for (Pending t : tensors) {
                offset = GgufHeaderReader.alignUp(offset, alignment);
                t.filler().fill(out.asSlice(dataOffset + offset, t.byteSize()));
                offset += t.byteSize();
            }
            out.force();
        } catch (IOException e) {
            throw new FscException(path.getFileName() + ": cannot write (" + e.getMessage() + ")", null, e);
        }
    }

    private byte[] header() {
        LittleEndianBytes out = new LittleEndianBytes();
        out.i32(GgufHeaderReader.MAGIC);
        out.i32(3);
        out.i64(tensors.size());
        out.i64(metadata.size());
        metadata.forEach((key, value) -> {
            out.string(key);
            out.i32(value.type().id());
            value(out, value);
        });
        long offset = 0;
        for (Pending t : tensors) {
            offset = GgufHeaderReader.alignUp(offset, alignment);
            out.string(t.name());
            out.i32(t.dims().size());
            t.dims().forEach(out::i64);
            out.i32(t.type().id());
            out.i64(offset);
            offset += t.byteSize();
        }
        return out.toByteArray();
    }

    private static void value(LittleEndianBytes out, GgufValue value) {
        switch (value) {
            case IntValue i -> out.fixed(i.value(), i.type().fixedSize());
            case FloatValue f
            when f.type() == GgufValueType.FLOAT32 -> out.i32(Float.floatToRawIntBits((float) f.value()));
            case FloatValue f -> out.i64(Double.doubleToRawLongBits(f.value()));
            case BoolValue b -> out.write(b.value() ? 1 : 0);
            case StringValue s -> out.string(s.value());
            case ArrayValue a -> {
                out.i32(a.elementType().id());
                out.i64(a.items().size());
                a.items().forEach(item -> value(out, item));
            }
        }
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class LittleEndianBytes extends ByteArrayOutputStream {
        void fixed(long v, int bytes) {
            for (int i = 0; i < bytes; i++) {
                write((int) (v >>> (8 * i)));
            }
        }

        void i32(int v) {
            fixed(v, 4);
        }

        void i64(long v) {
            fixed(v, 8);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            write(b, 0, b.length);
        }
    }
}
