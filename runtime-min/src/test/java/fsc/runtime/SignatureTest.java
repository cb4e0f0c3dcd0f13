package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SignatureTest {
    private final Signature sig = new Signature(
            List.of(
                    TensorSpec.of("input_ids", ElemType.I64, DimSpec.symbol("B", 8), DimSpec.symbol("S", 512)),
                    TensorSpec.of("attention_mask", ElemType.I64, DimSpec.symbol("B", 8), DimSpec.symbol("S", 512))),
            List.of(TensorSpec.of("out", ElemType.F32, DimSpec.symbol("B", 8), DimSpec.fixed(384))));

    @Test
    void bindsSymbolsInFirstAppearanceOrder() {
        Map<String, Long> v = sig.bindNamed(inputs(ids(2, 7), ids(2, 7)));
        assertEquals(Map.of("B", 2L, "S", 7L), v);
        assertEquals(List.of("B", "S"), sig.symbols());
        assertEquals(List.of("input_ids", "attention_mask"), sig.inputNames());
        assertEquals("i64[B<=8,S<=512]", sig.inputs().get(0).toString());
    }

    @Test
    void reportsEachMismatchOnOneLine() {
        assertFails(
                inputs(ids(2, 7), ids(2, 8)), "input 'attention_mask' dim 1 (S) is 8 but input 'input_ids' set S=7");
        assertFails(inputs(ids(9, 7), ids(9, 7)), "input 'input_ids' dim 0 (B) is 9, must be 1..8");
        assertFails(
                inputs(Tensor.ofFloats(new long[] {1, 1}, 0f), ids(1, 1)), "is f32[1,1], expected i64[B<=8,S<=512]");
        assertFails(inputs(Tensor.ofLongs(new long[] {1}, 0), ids(1, 1)), "has rank 1");
        Map<String, Tensor> missing = new LinkedHashMap<>();
        missing.put("input_ids", ids(1, 1));
        assertFails(missing, "missing input 'attention_mask'");
        Map<String, Tensor> extra = inputs(ids(1, 1), ids(1, 1));
        extra.put("token_type_ids", ids(1, 1));
        assertFails(extra, "unknown input 'token_type_ids'");
        Signature fixed = new Signature(List.of(TensorSpec.of("x", ElemType.F32, DimSpec.fixed(3))), List.of());
        RuntimeFailure e = assertThrows(
                RuntimeFailure.class, () -> fixed.bind(Map.of("x", Tensor.ofFloats(new long[] {2}, 1f, 2f))));
        assertTrue(e.getMessage().contains("dim 0 is 2, expected 3"), e.getMessage());
    }

    private void assertFails(Map<String, Tensor> in, String part) {
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> sig.bind(in));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertEquals(-1, e.getMessage().indexOf('\n'));
    }

    static Tensor ids(int b, int s) {
        return Tensor.ofLongs(new long[] {b, s}, new long[b * s]);
    }

    private static Map<String, Tensor> inputs(Tensor ids, Tensor mask) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("input_ids", ids);
        m.put("attention_mask", mask);
        return m;
    }
}
