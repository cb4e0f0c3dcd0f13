package fsc.ir.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LlmOpsTest {
    private static final Dim T = Dim.sym("T");

    private static Value v(String name, DType t, Dim... dims) {
        return new Value(name, new TensorType(t, List.of(dims)));
    }

    private static TensorType infer(String op, List<Value> in, Map<String, Attr> attrs) {
        return Ops.infer(op, "node 'n' (" + op + ")", in, attrs, new KnownValues())
                .getFirst();
    }

    @Test
    void qmatmulReadsPackedRowsAndKeepsLeadingDims() {
        Value x = v("x", DType.F32, T, Dim.of(256));
        Value w = v("w", DType.Q4_K, Dim.of(768), Dim.of(256));
        assertEquals(new TensorType(DType.F32, List.of(T, Dim.of(768))), infer("qmatmul", List.of(x, w), Map.of()));
        Value bad = v("w", DType.Q8_0, Dim.of(768), Dim.of(128));
        FscException e = assertThrows(FscException.class, () -> infer("qmatmul", List.of(x, bad), Map.of()));
        assertTrue(e.getMessage().contains("node 'n'"), e.getMessage());
        assertThrows(
                FscException.class,
                () -> infer("qmatmul", List.of(x, v("w", DType.I32, Dim.of(4), Dim.of(256))), Map.of()));
    }

    @Test
    void embeddingGivesF32Rows() {
        Value table = v("t", DType.Q6_K, Dim.of(512), Dim.of(256));
        Value ids = v("ids", DType.I32, T);
        assertEquals(
                new TensorType(DType.F32, List.of(T, Dim.of(256))), infer("embedding", List.of(table, ids), Map.of()));
        assertThrows(FscException.class, () -> infer("embedding", List.of(table, v("ids", DType.F32, T)), Map.of()));
    }

    @Test
    void pagedAttentionChecksTheCacheLayout() {
        Map<String, Attr> a = new LinkedHashMap<>();
        a.put("layer", new Attr.Int(1));
        a.put("num_layers", new Attr.Int(2));
        a.put("block_size", new Attr.Int(16));
        a.put("num_heads", new Attr.Int(8));
        a.put("num_kv_heads", new Attr.Int(4));
        a.put("head_dim", new Attr.Int(8));
        Value q = v("q", DType.F32, T, Dim.of(64));
        Value k = v("k", DType.F32, T, Dim.of(32));
        Value cache = v("c", DType.F32, Dim.sym("NB"), Dim.of(2 * 2 * 16 * 32));
        Value table = v("bt", DType.I32, Dim.sym("NS"), Dim.sym("MB"));
        Value seq = v("s", DType.I32, T);
        Value pos = v("p", DType.I32, T);
        assertEquals(q.type(), infer("paged_attention", List.of(q, k, k, cache, table, seq, pos), a));
        Value wrongCache = v("c", DType.F32, Dim.sym("NB"), Dim.of(100));
        assertThrows(
                FscException.class, () -> infer("paged_attention", List.of(q, k, k, wrongCache, table, seq, pos), a));
        a.put("layer", new Attr.Int(2));
        assertThrows(FscException.class, () -> infer("paged_attention", List.of(q, k, k, cache, table, seq, pos), a));
    }
}
