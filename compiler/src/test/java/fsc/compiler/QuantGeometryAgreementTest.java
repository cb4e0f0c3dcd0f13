package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.gguf.GgmlType;
import fsc.ir.DType;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The ggml block geometry is written in three tables: the IR's {@link DType}, the GGUF reader's
 * {@link GgmlType} and the runtime's {@link fsc.runtime.quant.GgmlType}. They cannot share one enum
 * ({@code runtime-min} must not depend on compiler modules, and the IR must not know GGUF ids), so this
 * test, in the one module that sees all three, pins them together name by name: a block size, byte
 * count or type id changed in one table fails here until the others agree.
 */
class QuantGeometryAgreementTest {

    @Test
    void runtimeTypesMatchTheReaderTypesNameByName() {
        for (fsc.runtime.quant.GgmlType r : fsc.runtime.quant.GgmlType.values()) {
            GgmlType f = GgmlType.valueOf(r.name());
            assertEquals(f.id(), r.id(), r + " id");
            assertEquals(f.blockSize(), r.blockSize(), r + " block elements");
            assertEquals(f.blockBytes(), r.blockBytes(), r + " block bytes");
        }
    }

    @Test
    void readerTypesWithAnIrTypeHaveItsGeometry() {
        for (GgmlType f : GgmlType.values()) {
            Optional<DType> d = f.toDType();
            if (d.isEmpty()) {
                continue;
            }
            assertEquals(f.name().toLowerCase(java.util.Locale.ROOT), d.get().irName(), f + " maps to " + d.get());
            assertEquals(f.blockSize(), d.get().blockSize(), f + " block elements");
            assertEquals(f.blockBytes(), d.get().blockBytes(), f + " block bytes");
            assertEquals(Optional.of(f), GgmlType.of(d.get()), f + " round trip");
        }
    }

    @Test
    void everyIrBlockTypeIsAReaderTypeAndARuntimeType() {
        Set<String> runtime = new TreeSet<>();
        Arrays.stream(fsc.runtime.quant.GgmlType.values()).forEach(t -> runtime.add(t.name()));
        for (DType d : DType.values()) {
            if (!d.isQuantizedBlock()) {
                continue;
            }
            Optional<GgmlType> f = GgmlType.of(d);
            assertTrue(f.isPresent(), d + " has no GGUF reader type");
            assertTrue(runtime.contains(f.get().name()), d + " has no runtime type: the runtime cannot run it");
            fsc.runtime.quant.GgmlType r =
                    fsc.runtime.quant.GgmlType.valueOf(f.get().name());
            assertEquals(d.blockSize(), r.blockSize(), d + " block elements");
            assertEquals(d.blockBytes(), r.blockBytes(), d + " block bytes");
        }
    }
}
