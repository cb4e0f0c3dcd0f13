package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a decoder step exported with explicit past tensors ({@code input_ids, past_i → output,
 * present_i}, one new token per batch row) into the step graph the LLM runtime runs for GGUF
 * decoders (docs/LLM.md): every batch row becomes one token of a flat batch, and each layer's
 * {@code concat(past, new) → matmul → softmax → matmul} ({@link PastKvMatcher}) becomes {@code
 * paged_attention}, which writes the new key and value into the runtime's KV blocks and attends
 * over the sequence's cached positions:
 *
 * <pre>
 *   in:  input_ids i64[B,1], past_i f32[2,B,H,P,D]            out: y [B,1,X], present_i [2,B,H,P+1,D]
 *   ⇒
 *   in:  tokens i32[B], positions i32[B], seq_ids i32[B], block_table i32[NS,MB], kv_cache f32[NB, L*2*BS*H*D],
 *        logit_rows i32[R]                                    out: logits f32[R, V]
 * </pre>
 *
 * The export's position id (the past length {@code P}, {@code dim_values <P>}, or Hugging Face's
 * {@code position_ids} input) becomes each token's own position; the past inputs, the present
 * outputs and an {@code attention_mask} that only the checked mask reads ({@link
 * AdditiveMaskCheck}) disappear. Grouped KV heads ({@code repeat_kv} in the export) stay grouped in
 * the cache. When the export ends
 * at the final hidden state (X is the embedding width, not the vocabulary, as in a {@code
 * GPT2Model} export), the logits come from the token embedding as a tied head, as GPT-2's LM head
 * is. The bounds come from the pass options below; the context is also capped by the past
 * length's bound and by the rows of the position table, and is recorded as {@value
 * #CONTEXT_METADATA}. A graph this cannot page is a user error: paging it anyway would compute
 * something else.
 */
@PassInfo(
        name = "kv-paging",
        summary = "decoder attention with past/present KV tensors becomes paged_attention over the runtime's KV blocks")
public final class KvPagingPass implements Pass {
    public static final String MAX_CONTEXT = "kv-paging.max-context";
    public static final String MAX_BATCH_TOKENS = "kv-paging.max-batch-tokens";
    public static final String MAX_SEQUENCES = "kv-paging.max-sequences";
    public static final String BLOCK_SIZE = "kv-paging.block-size";
    /** The cache's element type, {@code f32} (default) or {@code f16}, as {@code --kv-cache}. */
    public static final String KV_CACHE = "kv-paging.kv-cache";
    /** Metadata key of the positions one sequence may reach. */
    public static final String CONTEXT_METADATA = "decoder.max_context";
    /** Hugging Face's per-token position input; the paged step feeds each token's position there. */
    static final String POSITION_IDS = "position_ids";
    /** Upper bound of the cache's block count symbol, as for GGUF decoders. */
    static final long MAX_BLOCKS = 1L << 24;

    @Override
    public boolean recursesIntoRegions() {
        return false;
    }

    @Override
    public Graph run(Graph g, PassContext ctx) {
        List<PastKvAttention> layers = new PastKvMatcher(g).find();
        if (layers.isEmpty()) {
            throw new FscException(
                    "kv-paging: " + g.name() + " is not a decoder with past KV: no attention reads concat(past, new)"
                            + " of a graph input",
                    "the pass pages decoder steps exported with past_key_values inputs and present outputs");
        }
        return new Rewrite(g, layers, ctx).build();
    }

    /** One rewrite: the analysis of {@code g} in the constructor, the new graph in {@link #build}. */
    private static final class Rewrite {
        private final Graph g;
        private final PassContext ctx;
        private final List<PastKvAttention> layers;
        private final Map<Node, PastKvAttention> byOutput = new IdentityHashMap<>();
        private final Set<Value> pastInputs = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<Value> graphInputs;
        private final Set<Node> positionIds = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());
        private final PatternGraph pg;
        private final String batch;
        private final String past;
        private final Value ids;
        /** Hugging Face's {@code position_ids} input, or null where the position is the past length. */
        private final Value positionInput;

        private final Value hidden;
        private final long heads;
        private final long kvHeads;
        private final long headDim;

        Rewrite(Graph g, List<PastKvAttention> layers, PassContext ctx) {
            this.g = g;
            this.ctx = ctx;
            this.layers = layers;
            this.pg = new PatternGraph(g);
            this.graphInputs = Substitution.identitySet(g.inputs());
            PastKvAttention first = layers.getFirst();
            batch = first.batch().asSymbol().orElseThrow();
            past = first.pastLength().asSymbol().orElseThrow();
            heads = first.heads();
            kvHeads = first.kvHeads();
            headDim = first.headDim();
            for (PastKvAttention a : layers) {
                if (!a.batch().equals(first.batch())
                        || !a.pastLength().equals(first.pastLength())
                        || a.heads() != heads
                        || a.kvHeads() != kvHeads
                        || a.headDim() != headDim) {
                    throw refuse("layers differ in batch, past length, heads or head size ("
                            + a.output().where() + ")");
                }
                byOutput.put(a.output(), a);
                pastInputs.addAll(a.pastInputs());
            }
            List<Value> rest =
                    g.inputs().stream().filter(v -> !pastInputs.contains(v)).toList();
            List<Dim> oneTokenPerRow = List.of(Dim.sym(batch), Dim.of(1));
            List<Value> tokenRows = rest.stream()
                    .filter(v -> v.dtype().isInteger() && v.type().dims().equals(oneTokenPerRow))
                    .toList();
            positionInput = tokenRows.stream()
                    .filter(v -> v.name().equals(POSITION_IDS))
                    .findFirst()
                    .orElse(null);
            List<Value> idCandidates =
                    tokenRows.stream().filter(v -> v != positionInput).toList();
            if (idCandidates.size() != 1) {
                throw refuse("besides the past, the inputs must be the token ids as [" + batch + ", 1] (and "
                        + POSITION_IDS + ", and masks the attention alone reads); got "
                        + rest.stream().map(v -> v.name() + ": " + v.type()).toList());
            }
            ids = idCandidates.getFirst();
            List<Value> outs = g.outputs().stream()
                    .filter(v -> !mentions(v.type().dims(), past))
                    .toList();
            if (outs.size() != 1) {
                throw refuse("exactly one output must not be a present tensor, got "
                        + outs.stream().map(Value::name).toList());
            }
            hidden = outs.getFirst();
            markLive();
        }

        /** Nodes the hidden output needs once attention reads the cache instead of the past inputs. */
        private void markLive() {
            Deque<Value> todo = new ArrayDeque<>(List.of(hidden));
            Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            while (!todo.isEmpty()) {
                Value v = todo.pop();
                Node n = pg.def(v);
                if (!seen.add(v) || n == null || !live.add(n)) {
                    continue;
                }
                PastKvAttention a = byOutput.get(n);
                if (a != null) {
                    todo.addAll(List.of(a.q(), a.kNew(), a.vNew()));
                } else if (isPositionId(n)) {
                    positionIds.add(n);
                } else {
                    todo.addAll(n.inputs());
                }
            }
            for (Node n : live) {
                if (byOutput.containsKey(n) || positionIds.contains(n)) {
                    continue;
                }
                String where = n.where();
                for (Value in : n.inputs()) {
                    if (graphInputs.contains(in) && in != ids && in != positionInput && !pastInputs.contains(in)) {
                        throw refuse(where + " reads input " + in.name() + ", which a paged step does not have");
                    }
                }
                if (n.inputs().stream().anyMatch(pastInputs::contains)) {
                    throw refuse(where + " reads the past outside attention");
                }
                if (n.outputs().stream().anyMatch(o -> mentions(o.type().dims(), past))
                        || n.attrs().values().stream()
                                .anyMatch(at -> at instanceof Attr.Dims d && mentions(d.values(), past))) {
                    throw refuse(where + " depends on the past length " + past + " in a way the pass cannot rewrite");
                }
                if (n.hasRegions()) {
                    throw refuse(where + " has control flow");
                }
            }
        }

        /** {@code dim_values <P>} of one element: the new token's position in the export. */
        private boolean isPositionId(Node n) {
            return n.op().equals("dim_values")
                    && n.dimsAttr("values").equals(List.of(Dim.sym(past)))
                    && n.output().type().rank() >= 1;
        }

        Graph build() {
            long batchTokens = ctx.longOption(MAX_BATCH_TOKENS, 512);
            long sequences = ctx.longOption(MAX_SEQUENCES, 16);
            long block = ctx.longOption(BLOCK_SIZE, 16);
            long context = context(ctx.longOption(MAX_CONTEXT, 4096));
            if (batchTokens < 1 || sequences < 1 || block < 1) {
                throw refuse("the bounds must be positive: tokens " + batchTokens + ", sequences " + sequences
                        + ", block " + block);
            }
            Dim t = Dim.sym(batch);
            GraphBuilder b = new GraphBuilder(g.name());
            g.symbols().forEach((s, bound) -> {
                if (!s.equals(past)) {
                    b.symbol(s, s.equals(batch) ? batchTokens : bound);
                }
            });
            b.symbol("R", batchTokens)
                    .symbol("NS", sequences)
                    .symbol("MB", (context + block - 1) / block)
                    .symbol("NB", MAX_BLOCKS);
            g.metadata().forEach(b::metadata);
            b.metadata(CONTEXT_METADATA, Long.toString(context));
            Value tokens = b.input("tokens", new TensorType(DType.I32, List.of(t)));
            Value positions = b.input("positions", new TensorType(DType.I32, List.of(t)));
            Value seqIds = b.input("seq_ids", new TensorType(DType.I32, List.of(t)));
            Value table = b.input("block_table", new TensorType(DType.I32, List.of(Dim.sym("NS"), Dim.sym("MB"))));
            long blockFloats = layers.size() * 2L * block * kvHeads * headDim;
            Value cache = b.input("kv_cache", new TensorType(cacheType(), List.of(Dim.sym("NB"), Dim.of(blockFloats))));
            Value rows = b.input("logit_rows", new TensorType(DType.I32, List.of(Dim.sym("R"))));

            Map<Value, Value> map = new IdentityHashMap<>();
            Value embedding = embedding();
            for (Constant c : g.constants()) {
                map.put(
                        c.value(),
                        b.constant(c.value().name(), c.weight(), g.weights().get(c.weight())));
            }
            Value cast =
                    b.node("cast", "kv_paging.token_ids", List.of(tokens), Map.of("to", new Attr.Type(ids.dtype())));
            map.put(ids, reshape(b, cast, ids.name(), List.of(t, Dim.of(1))));
            if (positionInput != null) {
                Value p = b.node(
                        "cast",
                        "kv_paging.position_ids",
                        List.of(positions),
                        Map.of("to", new Attr.Type(positionInput.dtype())));
                map.put(positionInput, reshape(b, p, positionInput.name(), List.of(t, Dim.of(1))));
            }
            int layer = 0;
            for (Node n : g.nodes()) {
                if (!live.contains(n)) {
                    continue;
                }
                PastKvAttention a = byOutput.get(n);
                if (a != null) {
                    map.put(n.output(), paged(b, a, map, layer++, block, cache, table, seqIds, positions));
                } else if (positionIds.contains(n)) {
                    Value p = b.node(
                            "cast",
                            n.output().name() + ".positions",
                            List.of(positions),
                            Map.of("to", new Attr.Type(n.output().dtype())));
                    List<Dim> dims = new ArrayList<>(
                            Collections.nCopies(n.output().type().rank(), Dim.of(1)));
                    dims.set(0, t);
                    map.put(n.output(), reshape(b, p, n.output().name(), dims));
                } else {
                    List<Value> in =
                            n.inputs().stream().map(v -> map.getOrDefault(v, v)).toList();
                    List<String> names =
                            n.outputs().stream().map(v -> outputName(v.name())).toList();
                    List<Value> outs = b.node(n.op(), n.name(), in, n.attrs(), names);
                    for (int i = 0; i < outs.size(); i++) {
                        map.put(n.outputs().get(i), outs.get(i));
                    }
                }
            }
            Value y = map.get(hidden);
            Dim width = y.type().dim(y.type().rank() - 1);
            if (!y.type().elementCount().equals(t.times(width))) {
                throw refuse("the output " + hidden.name() + " " + hidden.type() + " must hold one row per token");
            }
            Value flat = reshape(b, y, "kv_paging.rows", List.of(t, width));
            Value picked =
                    b.node("gather", "kv_paging.logit_rows", List.of(flat, rows), Map.of("axis", new Attr.Int(0)));
            Value logits = picked;
            if (embedding != null && !width.equals(embedding.type().dim(0))) {
                if (!width.equals(embedding.type().dim(1))) {
                    throw refuse("the output " + hidden.name() + " is neither logits over the "
                            + embedding.type().dim(0) + " tokens nor the hidden state of width "
                            + embedding.type().dim(1));
                }
                ctx.note("the export ends at the hidden state: logits come from the token embedding (tied head)");
                logits = b.node("qmatmul", "kv_paging.tied_head", List.of(picked, map.get(embedding)), Map.of());
            }
            b.output(reshape(b, logits, "logits", logits.type().dims()));
            ctx.note("paged " + layers.size() + " attention layers (" + heads + " heads of " + headDim + "), context "
                    + context);
            return dce(b.build());
        }

        /**
         * q, the new key and the new value as token rows {@code [T, H*D]}, then {@code paged_attention}
         * and back to the export's {@code [T, H, 1, D]}, under the attention output's name.
         */
        private Value paged(
                GraphBuilder b,
                PastKvAttention a,
                Map<Value, Value> map,
                int layer,
                long block,
                Value cache,
                Value table,
                Value seqIds,
                Value positions) {
            String base = a.output().output().name() + ".paged";
            Dim t = Dim.sym(batch);
            List<Dim> rowsShape = List.of(t, Dim.of(heads * headDim));
            List<Dim> kvRowsShape = List.of(t, Dim.of(kvHeads * headDim));
            List<Long> tokenMajor = List.of(0L, 2L, 1L, 3L);
            Value q = reshape(b, transpose(b, map.get(a.q()), base + "_q", tokenMajor), base + "_q_rows", rowsShape);
            Value k = reshape(
                    b,
                    transpose(b, map.get(a.kNew()), base + "_k", a.kNewToTokenMajor()),
                    base + "_k_rows",
                    kvRowsShape);
            Value v =
                    reshape(b, transpose(b, map.get(a.vNew()), base + "_v", tokenMajor), base + "_v_rows", kvRowsShape);
            Map<String, Attr> attrs = new LinkedHashMap<>();
            attrs.put("layer", new Attr.Int(layer));
            attrs.put("num_layers", new Attr.Int(layers.size()));
            attrs.put("block_size", new Attr.Int(block));
            attrs.put("num_heads", new Attr.Int(heads));
            attrs.put("num_kv_heads", new Attr.Int(kvHeads));
            attrs.put("head_dim", new Attr.Int(headDim));
            Value out = b.node("paged_attention", base, List.of(q, k, v, cache, table, seqIds, positions), attrs);
            Value heads4 = reshape(b, out, base + "_heads", List.of(t, Dim.of(1), Dim.of(heads), Dim.of(headDim)));
            return transpose(b, heads4, outputName(a.output().output().name()), tokenMajor);
        }

        private DType cacheType() {
            String type = ctx.option(KV_CACHE, "f32");
            return switch (type) {
                case "f32" -> DType.F32;
                case "f16" -> DType.F16;
                default -> throw refuse("the KV cache type must be f32 or f16, got " + type);
            };
        }

        /**
         * Positions one sequence may reach: the option, within the past length's bound plus the new
         * token and within the rows of the table the position id indexes (GPT-2's wpe).
         */
        private long context(long option) {
            long c = Math.min(option, g.symbols().getOrDefault(past, Long.MAX_VALUE - 1) + 1);
            for (Node n : live) {
                if (n.op().equals("gather")
                        && n.inputs().size() == 2
                        && (positionIds.contains(pg.def(n.input(1))) || readsInput(n.input(1), positionInput))
                        && g.constantOf(n.input(0)) != null
                        && n.input(0).type().dim(0).isFixed()) {
                    c = Math.min(c, n.input(0).type().dim(0).value());
                }
            }
            return c;
        }

        /** The constant {@code [V, X]} the token ids index (the token embedding), or null. */
        private Value embedding() {
            for (Node n : g.nodes()) {
                if (live.contains(n)
                        && n.op().equals("gather")
                        && n.inputs().size() == 2
                        && g.constantOf(n.input(0)) != null
                        && n.input(0).type().rank() == 2
                        && n.input(0).type().isStatic()
                        && readsInput(n.input(1), ids)) {
                    return n.input(0);
                }
            }
            return null;
        }

        /** Whether {@code v} is {@code input} through at most four slices, reshapes and casts. */
        private boolean readsInput(Value v, Value input) {
            if (input == null) {
                return false;
            }
            Value x = v;
            for (int i = 0; i < 4 && x != input; i++) {
                Node d = pg.def(x);
                if (d == null
                        || !Set.of("slice", "reshape", "squeeze", "unsqueeze", "cast")
                                .contains(d.op())) {
                    return false;
                }
                x = d.input(0);
            }
            return x == input;
        }

        /** The one output is renamed {@code logits}; an export's own value of that name steps aside. */
        private static String outputName(String name) {
            return name.equals("logits") ? "logits.export" : name;
        }

        private FscException refuse(String why) {
            return new FscException(
                    "kv-paging: " + g.name() + " cannot be paged: " + why,
                    "the pass pages decoder steps exported with past_key_values inputs and present outputs");
        }
    }

    private static Value transpose(GraphBuilder b, Value x, String name, List<Long> perm) {
        return b.node("transpose", name, List.of(x), Map.of("perm", new Attr.Ints(perm)));
    }

    private static Value reshape(GraphBuilder b, Value x, String name, List<Dim> shape) {
        return b.node("reshape", name, List.of(x), Map.of("shape", new Attr.Dims(shape)));
    }

    private static boolean mentions(List<Dim> dims, String symbol) {
        return dims.stream().anyMatch(d -> d.symbols().contains(symbol));
    }

    /** Constants only the dropped past and mask read stay out of the graph. */
    private static Graph dce(Graph g) {
        return new DcePass().run(g, PassContext.defaults());
    }
}
