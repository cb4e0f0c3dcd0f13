package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.List;

/**
 * Transformer building blocks: {@code attention} (scaled dot-product, grouped-query, causal) and
 * {@code rope} (rotary position embedding), with ONNX Attention-23 / RotaryEmbedding-23 semantics
 * for their 4-D forms so the node tests can check them.
 */
final class AttentionOps {
    private AttentionOps() {}

    static List<OpDef> defs() {
        return List.of(
                // scale: no single default, absent means 1/sqrt(D); softcap 0 is off.
                new OpSpec("attention", 3, 4, AttentionOps::attention)
                        .attrs(
                                AttrSpec.number("scale"),
                                AttrSpec.number("softcap", 0.0),
                                AttrSpec.string("causal", "none"),
                                AttrSpec.integer("layout", 0)),
                // ONNX RotaryEmbedding-23: num_heads has no default (a 3-D input needs it);
                // rotary_embedding_dim 0 means the whole head.
                new OpSpec("rope", 3, 4, AttentionOps::rope)
                        .attrs(
                                AttrSpec.integer("num_heads"),
                                AttrSpec.integer("rotary_embedding_dim", 0),
                                AttrSpec.integer("interleaved", 0)));
    }

    /**
     * {@code attention(q[B,Hq,Sq,D], k[B,Hkv,Skv,D], v[B,Hkv,Skv,Dv][, mask])} gives {@code
     * [B,Hq,Sq,Dv]}. Query head h reads kv head {@code h / (Hq / Hkv)}. The mask is bool (true
     * attends) or additive in q's type, broadcasting to {@code [B,Hq,Sq,Skv]}. Attributes: {@code
     * scale} (default 1/sqrt(D)), {@code softcap} (0 = off), {@code causal} = {@code "none"}, {@code
     * "upper_left"} (key j <= query i) or {@code "lower_right"} (j <= i + Skv - Sq: keys that begin
     * with cached past tokens), PyTorch's names for the two alignments. {@code layout} has a bit for
     * each of q, k, v and the output stored sequence-major, {@code [B,S,H,D]} instead of {@code
     * [B,H,S,D]} ({@link AttentionLayout}): the layout the projections produce, so the transposes around attention need
     * not run. The dims named above are the logical ones.
     */
    private static List<TensorType> attention(InferContext ctx) {
        long layout = ctx.intAttr("layout");
        if (layout < 0 || layout > 15) {
            throw ctx.fail(
                    "layout must be a combination of the bits 1 (q), 2 (k), 4 (v) and 8 (output), got " + layout);
        }
        if (ctx.input(0).rank() != 4 || ctx.input(1).rank() != 4 || ctx.input(2).rank() != 4) {
            throw ctx.fail("needs 4-D q, k, v as [batch, heads, sequence, head_size], got " + ctx.inputs());
        }
        TensorType q = AttentionLayout.headMajor(ctx.input(0), layout, AttentionLayout.Q_SEQ_MAJOR);
        TensorType k = AttentionLayout.headMajor(ctx.input(1), layout, AttentionLayout.K_SEQ_MAJOR);
        TensorType v = AttentionLayout.headMajor(ctx.input(2), layout, AttentionLayout.V_SEQ_MAJOR);
        if (!q.dtype().isFloat() || k.dtype() != q.dtype() || v.dtype() != q.dtype()) {
            throw ctx.fail("q, k and v must share one floating-point type, got " + ctx.inputs());
        }
        boolean shapesFit = q.dim(0).equals(k.dim(0))
                && k.dim(0).equals(v.dim(0))
                && q.dim(3).equals(k.dim(3))
                && k.dim(1).equals(v.dim(1))
                && k.dim(2).equals(v.dim(2));
        if (!shapesFit) {
            throw ctx.fail("q " + q + ", k " + k + " and v " + v + " do not fit together");
        }
        Dim hq = q.dim(1);
        Dim hkv = k.dim(1);
        if (!hq.isFixed() || !hkv.isFixed() || hkv.value() == 0 || hq.value() % hkv.value() != 0) {
            throw ctx.fail("query heads " + hq + " must be a multiple of key/value heads " + hkv);
        }
        String causal = ctx.strAttr("causal");
        if (!List.of("none", "upper_left", "lower_right").contains(causal)) {
            throw ctx.fail("causal must be \"none\", \"upper_left\" or \"lower_right\", got \"" + causal + "\"");
        }
        if (ctx.inputCount() == 4) {
            TensorType mask = ctx.input(3);
            List<Dim> scores = List.of(q.dim(0), hq, q.dim(2), k.dim(2));
            boolean typeOk = mask.dtype() == DType.BOOL || mask.dtype() == q.dtype();
            if (!typeOk || !Shapes.broadcastsTo(mask.dims(), scores)) {
                throw ctx.fail("mask " + mask + " must be bool or " + q.dtype().irName() + " and broadcast to "
                        + Shapes.show(scores));
            }
        }
        return List.of(AttentionLayout.headMajor(
                q.withDims(List.of(q.dim(0), hq, q.dim(2), v.dim(3))), layout, AttentionLayout.OUT_SEQ_MAJOR));
    }

    /**
     * {@code rope(x, cos, sin[, positions])}: x is {@code [B,H,S,D]} (or {@code [B,S,H*D]} with
     * {@code num_heads}); the first {@code rotary_embedding_dim} (default D) features rotate in pairs
     * — halves, or neighbours when {@code interleaved}. cos/sin are {@code [P, R/2]} tables indexed
     * by {@code positions[B,S]}, or {@code [B,S,R/2]} when there are no positions.
     */
    private static List<TensorType> rope(InferContext ctx) {
        TensorType x = ctx.input(0);
        TensorType cos = ctx.input(1);
        TensorType sin = ctx.input(2);
        if (!x.dtype().isFloat()
                || cos.dtype() != x.dtype()
                || sin.dtype() != x.dtype()
                || !cos.dims().equals(sin.dims())) {
            throw ctx.fail(
                    "x, cos and sin must share one floating-point type and cos/sin one shape, got " + ctx.inputs());
        }
        Dim batch = x.dim(0);
        Dim seq;
        Dim head;
        if (x.rank() == 4) {
            seq = x.dim(2);
            head = x.dim(3);
        } else if (x.rank() == 3) {
            long heads = ctx.has("num_heads") ? ctx.intAttr("num_heads") : 0;
            if (heads < 1) {
                throw ctx.fail("a 3-D input needs attribute 'num_heads'");
            }
            seq = x.dim(1);
            head = x.dim(2)
                    .dividedBy(Dim.of(heads))
                    .orElseThrow(
                            () -> ctx.fail("hidden size " + x.dim(2) + " is not a multiple of " + heads + " heads"));
        } else {
            throw ctx.fail("needs [batch, heads, sequence, head_size] or [batch, sequence, hidden], got " + x);
        }
        if (!head.isFixed()) {
            throw ctx.fail("head size " + head + " must be a number");
        }
        long rotary = ctx.intAttr("rotary_embedding_dim");
        long r = rotary == 0 ? head.value() : rotary;
        if (r % 2 != 0 || r > head.value()) {
            throw ctx.fail("rotary_embedding_dim " + r + " must be even and at most the head size " + head);
        }
        Dim half = Dim.of(r / 2);
        if (ctx.inputCount() == 4) {
            TensorType pos = ctx.input(3);
            if (!pos.dtype().isInteger() || !pos.dims().equals(List.of(batch, seq))) {
                throw ctx.fail("positions " + pos + " must be integers shaped [" + batch + "," + seq + "]");
            }
            if (cos.rank() != 2 || !cos.dim(1).equals(half)) {
                throw ctx.fail("cos/sin tables " + cos + " must be [positions, " + half + "]");
            }
        } else if (!cos.dims().equals(List.of(batch, seq, half))) {
            throw ctx.fail("cos/sin " + cos + " must be [" + batch + "," + seq + "," + half + "] without positions");
        }
        return List.of(x);
    }
}
