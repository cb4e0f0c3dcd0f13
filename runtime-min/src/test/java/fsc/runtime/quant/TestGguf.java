package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only GGUF reader for the shared models. runtime-min may not depend on the compiler's
 * frontend (where the real, validating reader lives), so its tests parse the few trusted files
 * themselves: metadata as plain Java objects, tensors as (type, dims, slice).
 */
public final class TestGguf {
    public record Tensor(String name, GgmlType type, long[] dims, MemorySegment data) {
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public final Map<String, Object> metadata = new LinkedHashMap<>();
    public final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final MemorySegment m;
    private long pos;

    private TestGguf(MemorySegment m) {
        this.m = m;
    }

    /** A model from the shared data folder; fails (never skips) when it is missing. */
    public static Path shared(String name) {
        Path p = Path.of(System.getProperty("fsc.shared.data", "../../shared/data"), "gguf", name);
        assertTrue(Files.isRegularFile(p), "test data missing: " + p.toAbsolutePath());
        return p;
    }

    public static TestGguf read(Path path, Arena arena) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            TestGguf g = new TestGguf(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
            g.parse();
            return g;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void parse() {
        assertEquals(0x46554747, i32());
        assertEquals(3, i32());
        long nTensors = i64();
        long nKv = i64();
        for (long i = 0; i < nKv; i++) {
            String key = str();
            metadata.put(key, value(i32()));
        }
        record Info(String name, long[] dims, int type, long offset) {}
        List<Info> infos = new ArrayList<>();
        for (long i = 0; i < nTensors; i++) {
            String name = str();
            long[] dims = new long[i32()];
            for (int d = 0; d < dims.length; d++) {
                dims[d] = i64();
            }
            infos.add(new Info(name, dims, i32(), i64()));
        }
        long align = ((Number) metadata.getOrDefault("general.alignment", 32)).longValue();
        long data = (pos + align - 1) / align * align;
        for (Info t : infos) {
            GgmlType type = GgmlType.byId(t.type());
            long n = 1;
            for (long d : t.dims()) {
                n *= d;
            }
            tensors.put(t.name(), new Tensor(t.name(), type, t.dims(), m.asSlice(data + t.offset(), type.bytesFor(n))));
        }
    }

    @SuppressWarnings("unchecked")
    public <T> T get(String key) {
        return (T) metadata.get(key);
    }

    private Object value(int type) {
        return switch (type) {
            case 0, 1 ->
                (int) (type == 0 ? m.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF : m.get(ValueLayout.JAVA_BYTE, pos++));
            case 2, 3 -> {
                int v = m.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos);
                pos += 2;
                yield type == 2 ? v & 0xFFFF : v;
            }
            case 4 -> i32() & 0xFFFF_FFFFL;
            case 5 -> i32();
            case 6 -> Float.intBitsToFloat(i32());
            case 7 -> m.get(ValueLayout.JAVA_BYTE, pos++) != 0;
            case 8 -> str();
            case 9 -> {
                int et = i32();
                long n = i64();
                List<Object> items = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    items.add(value(et));
                }
                yield items;
            }
            case 10, 11 -> i64();
            case 12 -> Double.longBitsToDouble(i64());
            default -> throw new IllegalStateException("bad metadata type " + type);
        };
    }

    private int i32() {
        int v = m.get(I32, pos);
        pos += 4;
        return v;
    }

    private long i64() {
        long v = m.get(I64, pos);
        pos += 8;
        return v;
    }

    private String str() {
        int n = (int) i64();
        byte[] b = m.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return new String(b, StandardCharsets.UTF_8);
    }
}
