package fsc.frontend.gguf;

import fsc.frontend.gguf.GgufValue.ArrayValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Parses a GGUF header (versions 2 and 3, little-endian) as laid out in ggml's {@code
 * docs/gguf.md}: magic, version, tensor count, metadata count, the metadata key/values, the tensor
 * infos, then padding up to {@code general.alignment}. Counts are checked against the bytes left
 * before anything is allocated for them, and every tensor's data range is checked against the file.
 */
final class GgufHeaderReader {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    static final long DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** Real files nest arrays at most once (e.g. per-layer lists); deeper nesting is hostile. */
    private static final int MAX_ARRAY_DEPTH = 8;
    /** Larger than any vocabulary or merge list (about 500k entries); caps boxed-object growth. */
    private static final long MAX_ARRAY_ITEMS = 1L << 24;
    /** Far above any real model (a 400B dense model has about 1,100 tensors; MoE models tens of thousands). */
    private static final long MAX_TENSORS = 1L << 24;

    private static final int INITIAL_CAPACITY = 4096;
    /** Smallest tensor info: name length, n_dims, one dim, type, offset. */
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
    /** Smallest key/value: key length, value type, one byte of value. */
    private static final long MIN_KV_BYTES = 8 + 4 + 1;

    record Header(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, long alignment, long dataOffset) {}

    private final GgufCursor in;
    private final String label;

    private GgufHeaderReader(GgufCursor in, String label) {
        this.in = in;
        this.label = label;
    }

    static Header read(GgufCursor in, String label) {
        return new GgufHeaderReader(in, label).header();
    }

    private Header header() {
        if (in.remaining() < 24) {
            throw in.error("file is " + in.remaining() + " bytes, too short for a GGUF header", 0);
        }
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw in.error(String.format("not a GGUF file (magic 0x%08x, expected \"GGUF\")", magic), 0);
        }
        long version = in.u32("version");
        if (version != 2 && version != 3) {
            String why = (version & 0xFFFF) == 0 && version != 0
                    ? "big-endian GGUF files are not supported"
                    : version == 1
                            ? "GGUF version 1 is not supported (re-convert the model with a current llama.cpp)"
                            : "unknown GGUF version " + version;
            throw in.error(why, 4);
        }
        long tensorCount = in.count("tensor count");
        long kvCount = in.count("metadata count");
        in.requireRoom("metadata count", kvCount, MIN_KV_BYTES);

        LinkedHashMap<String, GgufValue> kv = new LinkedHashMap<>();
        long alignmentAt = 0;
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key = in.string("metadata key");
            long typeAt = in.position();
            long typeId = in.u32("metadata value type");
            GgufValueType type = GgufValueType.byId(typeId)
                    .orElseThrow(
                            () -> in.error("unknown metadata value type " + typeId + " for key '" + key + "'", typeAt));
            GgufValue value = value(type, key, 0);
            if (kv.putIfAbsent(key, value) != null) {
                throw in.error("duplicate metadata key '" + key + "'", at);
            }
            if (key.equals("general.alignment")) {
                alignmentAt = at;
            }
        }
        GgufMetadata metadata = new GgufMetadata(label, kv);
        long alignment = alignment(metadata, alignmentAt);

        in.requireRoom("tensor count", tensorCount, MIN_TENSOR_INFO_BYTES);
        if (tensorCount > MAX_TENSORS) {
            throw in.error("tensor count " + tensorCount + " exceeds fsc's limit of " + MAX_TENSORS, 8);
        }
        // Capacity grows with what is actually read, never from the count alone.
        List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, INITIAL_CAPACITY));
        List<Long> infoOffsets = new ArrayList<>((int) Math.min(tensorCount, INITIAL_CAPACITY));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = in.position();
            GgufTensorInfo t = tensorInfo();
            if (!names.add(t.name())) {
                throw in.error("duplicate tensor name '" + t.name() + "'", at);
            }
            tensors.add(t);
            infoOffsets.add(at);
        }
        long dataOffset = alignUp(in.position(), alignment);
        long fileSize = in.position() + in.remaining();
        if (!tensors.isEmpty() && dataOffset > fileSize) {
            throw in.error("file ends before its tensor data section", in.position());
        }
        for (int i = 0; i < tensors.size(); i++) {
            checkData(tensors.get(i), infoOffsets.get(i), alignment, dataOffset, fileSize);
        }
        return new Header((int) version, metadata, List.copyOf(tensors), alignment, dataOffset);
    }

    private GgufValue value(GgufValueType type, String key, int depth) {
        return switch (type) {
            case UINT8 -> GgufValue.u8(in.u8(key));
            case INT8 -> GgufValue.i8(in.u8(key));
            case UINT16 -> GgufValue.u16(in.i16(key));
            case INT16 -> GgufValue.i16(in.i16(key));
            case UINT32 -> GgufValue.u32(in.i32(key));
            case INT32 -> GgufValue.i32(in.i32(key));
            case UINT64 -> GgufValue.u64(in.i64(key));
            case INT64 -> GgufValue.i64(in.i64(key));
            case FLOAT32 -> GgufValue.f32(Float.intBitsToFloat(in.i32(key)));
            case FLOAT64 -> GgufValue.f64(Double.longBitsToDouble(in.i64(key)));
            case BOOL -> bool(key);
            case STRING -> GgufValue.string(in.string(key));
            case ARRAY -> array(key, depth);
        };
    }

    private GgufValue bool(String key) {
        long at = in.position();
        int b = in.u8(key);
        if (b > 1) {
            throw in.error("bool value " + b + " for key '" + key + "' is neither 0 nor 1", at);
        }
        return GgufValue.bool(b == 1);
    }

    private GgufValue array(String key, int depth) {
        long at = in.position();
        if (depth >= MAX_ARRAY_DEPTH) {
            throw in.error("arrays nested deeper than " + MAX_ARRAY_DEPTH + " for key '" + key + "'", at);
        }
        long typeId = in.u32(key + " array element type");
        GgufValueType elementType = GgufValueType.byId(typeId)
                .orElseThrow(() -> in.error("unknown array element type " + typeId + " for key '" + key + "'", at));
        long countAt = in.position();
        long n = in.count(key + " array length");
        if (n > MAX_ARRAY_ITEMS) {
            throw in.error(
                    "array length " + n + " for key '" + key + "' exceeds fsc's limit of " + MAX_ARRAY_ITEMS, countAt);
        }
        in.requireRoom("array length for key '" + key + "'", n, elementType.minEncodedSize());
        List<GgufValue> items = new ArrayList<>((int) Math.min(n, INITIAL_CAPACITY));
        for (long i = 0; i < n; i++) {
            items.add(value(elementType, key, depth + 1));
        }
        return new ArrayValue(elementType, items);
    }

    private long alignment(GgufMetadata metadata, long at) {
        if (!metadata.has("general.alignment")) {
            return DEFAULT_ALIGNMENT;
        }
        long a = metadata.getLong("general.alignment");
        if (a <= 0 || Long.bitCount(a) != 1 || a > (1 << 20)) {
            throw in.error("general.alignment " + a + " is not a power of two up to 1 MiB", at);
        }
        return a;
    }

    private GgufTensorInfo tensorInfo() {
        String name = in.string("tensor name");
        long nAt = in.position();
        long nDims = in.u32("n_dims of tensor '" + name + "'");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw in.error("tensor '" + name + "' has " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)", nAt);
        }
        List<Long> dims = new ArrayList<>();
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dimAt = in.position();
            long dim = in.count("dimension " + d + " of tensor '" + name + "'");
            try {
                elements = Math.multiplyExact(elements, dim);
            } catch (ArithmeticException e) {
                throw in.error("tensor '" + name + "' dimensions overflow a 64-bit element count", dimAt);
            }
            dims.add(dim);
        }
        long typeAt = in.position();
        long typeId = in.u32("type of tensor '" + name + "'");
        GgmlType type = GgmlType.byId(typeId)
                .orElseThrow(() -> in.error("tensor '" + name + "' has unknown ggml type " + typeId, typeAt));
        if (dims.getFirst() % type.blockSize() != 0) {
            throw in.error(
                    "tensor '" + name + "' row length " + dims.getFirst() + " is not a multiple of the " + type.name()
                            + " block size " + type.blockSize(),
                    typeAt);
        }
        long bytes = type.bytesFor(elements);
        if (bytes < 0) {
            throw in.error("tensor '" + name + "' byte size overflows", typeAt);
        }
        long offset = in.count("data offset of tensor '" + name + "'");
        return new GgufTensorInfo(name, dims, type, offset, bytes);
    }

    private void checkData(GgufTensorInfo t, long infoAt, long alignment, long dataOffset, long fileSize) {
        if (t.offset() % alignment != 0) {
            throw in.error(
                    "tensor '" + t.name() + "' data offset " + t.offset() + " is not a multiple of the alignment "
                            + alignment,
                    infoAt);
        }
        long room = fileSize - dataOffset;
        if (t.offset() > room || t.byteSize() > room - t.offset()) {
            throw in.error(
                    "tensor '" + t.name() + "' data (" + t.byteSize() + " bytes at data offset " + t.offset()
                            + ") runs past the end of the file (" + fileSize + " bytes)",
                    infoAt);
        }
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) & -alignment;
    }
}
