package fsc.tests.fuzz;

import com.google.protobuf.ByteString;
import fsc.frontend.onnx.proto.Onnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Mutations that know the format, to get past the checks byte flips rarely survive: ONNX models
 * changed through their protobuf builders (huge or negative dims, unknown data types, short raw
 * data, foreign ops and attributes, dangling inputs, huge opsets), and GGUF metadata values
 * overwritten in place by key (counts to 2^32, epsilons to inf and NaN).
 */
final class ModelMutations {
    private ModelMutations() {}

    private static final long[] DIMS = {-1, 0, 1L << 31, 1L << 40, Long.MAX_VALUE, 3, 1_000_000_007};
    private static final String[] OPS = {
        "Reshape",
        "Gather",
        "Conv",
        "Loop",
        "If",
        "Scan",
        "Unknown",
        "",
        "Einsum",
        "Resize",
        "TopK",
        "Range",
        "ConstantOfShape",
        "Expand",
        "Tile",
        "Pad",
        "Split"
    };

    static Mutator.Mutant onnx(Onnx.ModelProto seed, SplittableRandom r) {
        Onnx.ModelProto.Builder m = seed.toBuilder();
        Onnx.GraphProto.Builder g = m.getGraphBuilder();
        int op = r.nextInt(9);
        String what;
        switch (op) {
            case 0 -> {
                int i = r.nextInt(g.getInitializerCount());
                long d = DIMS[r.nextInt(DIMS.length)];
                Onnx.TensorProto.Builder t = g.getInitializerBuilder(i);
                t.setDims(r.nextInt(t.getDimsCount()), d);
                what = "initializer " + t.getName() + " dim -> " + d;
            }
            case 1 -> {
                int i = r.nextInt(g.getInitializerCount());
                int type = r.nextInt(32);
                g.getInitializerBuilder(i).setDataType(type);
                what = "initializer " + i + " data_type -> " + type;
            }
            case 2 -> {
                int i = r.nextInt(g.getInitializerCount());
                Onnx.TensorProto.Builder t = g.getInitializerBuilder(i);
                ByteString raw = t.getRawData();
                int n = raw.isEmpty() ? 0 : r.nextInt(raw.size());
                t.setRawData(raw.substring(0, n));
                what = "initializer " + t.getName() + " raw_data cut to " + n;
            }
            case 3 -> {
                int i = r.nextInt(g.getNodeCount());
                String o = OPS[r.nextInt(OPS.length)];
                g.getNodeBuilder(i).setOpType(o);
                what = "node " + i + " op -> '" + o + "'";
            }
            case 4 -> {
                int i = r.nextInt(g.getNodeCount());
                long v = DIMS[r.nextInt(DIMS.length)];
                String[] names = {"axis", "perm", "to", "kernel_shape", "pads", "strides", "group", "k"};
                String name = names[r.nextInt(names.length)];
                g.getNodeBuilder(i)
                        .addAttribute(Onnx.AttributeProto.newBuilder()
                                .setName(name)
                                .setType(Onnx.AttributeProto.AttributeType.INTS)
                                .addInts(v)
                                .addInts(v));
                what = "node " + i + " attribute " + name + " = [" + v + ", " + v + "]";
            }
            case 5 -> {
                int i = r.nextInt(g.getNodeCount());
                g.getNodeBuilder(i).setInput(0, "nowhere");
                what = "node " + i + " input 0 -> undefined";
            }
            case 6 -> {
                long v = DIMS[r.nextInt(DIMS.length)];
                g.getInputBuilder(0)
                        .getTypeBuilder()
                        .getTensorTypeBuilder()
                        .getShapeBuilder()
                        .getDimBuilder(r.nextInt(2))
                        .setDimValue(v);
                what = "input dim -> " + v;
            }
            case 7 -> {
                long v = DIMS[r.nextInt(DIMS.length)];
                m.setOpsetImport(0, m.getOpsetImport(0).toBuilder().setVersion(v));
                what = "opset -> " + v;
            }
            default -> {
                // The output of the last node feeds the first: a cycle.
                int last = g.getNodeCount() - 1;
                g.getNodeBuilder(0).setInput(0, g.getNode(last).getOutput(0));
                what = "cycle through node 0";
            }
        }
        return new Mutator.Mutant(m.build().toByteArray(), what);
    }

    private static final String[] GGUF_KEYS = {
        "llama.attention.layer_norm_rms_epsilon",
        "llama.rope.freq_base",
        "llama.embedding_length",
        "llama.block_count",
        "llama.attention.head_count",
        "llama.attention.head_count_kv",
        "llama.feed_forward_length",
        "llama.context_length",
        "llama.rope.dimension_count",
        "tokenizer.ggml.tokens",
        "tokenizer.ggml.scores",
        "tokenizer.ggml.bos_token_id",
        "general.alignment"
    };
    private static final float[] FLOATS = {
        Float.POSITIVE_INFINITY, Float.NaN, Float.NEGATIVE_INFINITY, 0f, -1e-5f, 1e30f, Float.MIN_VALUE
    };
    private static final long[] INTS = {0, -1, 0xFFFFFFFFL, 1L << 31, 1L << 40, Long.MAX_VALUE, 65537};

    /**
     * Overwrites the value of one metadata key in place: the bytes after the key are its u32 type
     * then the value (an array's element type and u64 count), so a float, a u32 or an array count
     * can be changed without re-encoding the file. Null when the file has none of the keys.
     */
    static Mutator.Mutant gguf(byte[] in, SplittableRandom r) {
        String key = GGUF_KEYS[r.nextInt(GGUF_KEYS.length)];
        int at = indexOf(in, key.getBytes(StandardCharsets.UTF_8));
        if (at < 0) {
            return null;
        }
        int type = at + key.length();
        int value = type + 4;
        if (value + 12 > in.length) {
            return null;
        }
        byte[] b = in.clone();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int t = bb.getInt(type);
        String what;
        if (t == 6) { // F32
            float f = FLOATS[r.nextInt(FLOATS.length)];
            bb.putFloat(value, f);
            what = key + " -> " + f;
        } else if (t == 9) { // ARRAY: u32 element type, u64 count
            long v = INTS[r.nextInt(INTS.length)];
            bb.putLong(value + 4, v);
            what = key + " array count -> " + Long.toUnsignedString(v);
        } else if (t == 10 || t == 11) { // U64, I64
            long v = INTS[r.nextInt(INTS.length)];
            bb.putLong(value, v);
            what = key + " -> " + Long.toUnsignedString(v);
        } else {
            long v = INTS[r.nextInt(INTS.length)];
            bb.putInt(value, (int) v);
            what = key + " (type " + t + ") -> " + (int) v;
        }
        if (r.nextInt(4) == 0) {
            int newType = r.nextInt(16);
            bb.putInt(type, newType);
            what += ", value type -> " + newType;
        }
        return new Mutator.Mutant(b, what);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
