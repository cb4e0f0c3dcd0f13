package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code kv-paging} on a one-layer decoder step written as an export writes it: separate past key
 * and value inputs ({@code [B,H,P,D]}, keys transposed after the concat, unlike gpt2_past's), the
 * position id {@code dim_values <P>}, GPT-2's causal mask (row P of a lower-triangular table), and
 * its own logits output. The golden file is the paged graph; the interpreter then runs the paged
 * step on three tokens at once and the export one token at a time with its past fed back, and the
 * logits must agree.
 */
class KvPagingPassTest {
    static final String DECODER =
            """
            graph @tiny(%ids: i64[B,1], %past_key: f32[B,2,P,2], %past_value: f32[B,2,P,2]) -> (%logits: f32[B,1,5], %present_key: f32[B,2,P+1,2], %present_value: f32[B,2,P+1,2])
                symbols {B <= 4, P <= 3} {
              %wte: f32[5,4] = const @"wte" random(1)
              %wpe: f32[4,4] = const @"wpe" random(2)
              %wqkv: f32[4,12] = const @"wqkv" random(3)
              %wo: f32[4,4] = const @"wo" random(4)
              %head: f32[4,5] = const @"head" random(5)
              %scale: f32[] = const @"scale" [1.4142135]
              %fill: f32[] = const @"fill" [-10000]
              %tril: f32[1,1,4,4] = const @"tril" [1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1]
              %pos: i64[1,1] = dim_values() {dtype = i64, shape = [1, 1], values = <P>}
              %te: f32[B,1,4] = gather(%wte, %ids) {axis = 0}
              %pe: f32[1,1,4] = gather(%wpe, %pos) {axis = 0}
              %x: f32[B,1,4] = add(%te, %pe)
              %qkv: f32[B,1,12] = matmul(%x, %wqkv)
              %q: f32[B,1,4], %k: f32[B,1,4], %v: f32[B,1,4] = split(%qkv) {axis = 2, split = <4, 4, 4>}
              %q4: f32[B,1,2,2] = reshape(%q) {shape = <B, 1, 2, 2>}
              %qh: f32[B,2,1,2] = transpose(%q4) {perm = [0, 2, 1, 3]}
              %k4: f32[B,1,2,2] = reshape(%k) {shape = <B, 1, 2, 2>}
              %kh: f32[B,2,1,2] = transpose(%k4) {perm = [0, 2, 1, 3]}
              %v4: f32[B,1,2,2] = reshape(%v) {shape = <B, 1, 2, 2>}
              %vh: f32[B,2,1,2] = transpose(%v4) {perm = [0, 2, 1, 3]}
              %present_key: f32[B,2,P+1,2] = concat(%past_key, %kh) {axis = 2}
              %present_value: f32[B,2,P+1,2] = concat(%past_value, %vh) {axis = -2}
              %kt: f32[B,2,2,P+1] = transpose(%present_key) {perm = [0, 1, 3, 2]}
              %s: f32[B,2,1,P+1] = matmul(%qh, %kt)
              %sd: f32[B,2,1,P+1] = div(%s, %scale)
              %m1: f32[1,1,1,4] = slice(%tril) {axes = [2], ends = <P+1>, starts = <P>, steps = [1]}
              %m2: f32[1,1,1,P+1] = slice(%m1) {axes = [3], ends = <P+1>, starts = <0>, steps = [1]}
              %mb: bool[1,1,1,P+1] = cast(%m2) {to = bool}
              %sm: f32[B,2,1,P+1] = where(%mb, %sd, %fill)
              %p: f32[B,2,1,P+1] = softmax(%sm) {axis = -1}
              %a: f32[B,2,1,2] = matmul(%p, %present_value)
              %at: f32[B,1,2,2] = transpose(%a) {perm = [0, 2, 1, 3]}
              %a3: f32[B,1,4] = reshape(%at) {shape = <B, 1, 4>}
              %o: f32[B,1,4] = matmul(%a3, %wo)
              %h: f32[B,1,4] = add(%x, %o)
              %logits: f32[B,1,5] = matmul(%h, %head)
              return %logits, %present_key, %present_value
            }
            """;

    /**
     * The same step as Hugging Face exports a LLaMA-family decoder: {@code input_ids},
     * {@code attention_mask [B, P+1]} and {@code position_ids} inputs, one KV head serving both query
     * heads through {@code repeat_kv} (unsqueeze, expand, reshape), and the padding mask added to the
     * scores.
     */
    static final String HF_DECODER =
            """
            graph @tiny_hf(%input_ids: i64[B,1], %attention_mask: i64[B,P+1], %position_ids: i64[B,1], %past_key: f32[B,1,P,2], %past_value: f32[B,1,P,2]) -> (%logits: f32[B,1,5], %present_key: f32[B,1,P+1,2], %present_value: f32[B,1,P+1,2])
                symbols {B <= 4, P <= 3} {
              %wte: f32[5,4] = const @"wte" random(1)
              %wpe: f32[4,4] = const @"wpe" random(2)
              %wq: f32[4,4] = const @"wq" random(3)
              %wkv: f32[4,4] = const @"wkv" random(6)
              %wo: f32[4,4] = const @"wo" random(4)
              %head: f32[4,5] = const @"head" random(5)
              %scale: f32[] = const @"scale" [1.4142135]
              %min: f32[] = const @"min" [-3.4028235e38]
              %zero_f: f32[] = const @"zero_f" [0]
              %zero: i64[] = const @"zero" [0]
              %te: f32[B,1,4] = gather(%wte, %input_ids) {axis = 0}
              %pe: f32[B,1,4] = gather(%wpe, %position_ids) {axis = 0}
              %x: f32[B,1,4] = add(%te, %pe)
              %q: f32[B,1,4] = matmul(%x, %wq)
              %q4: f32[B,1,2,2] = reshape(%q) {shape = <B, 1, 2, 2>}
              %qh: f32[B,2,1,2] = transpose(%q4) {perm = [0, 2, 1, 3]}
              %kv: f32[B,1,4] = matmul(%x, %wkv)
              %k: f32[B,1,2], %v: f32[B,1,2] = split(%kv) {axis = 2, split = <2, 2>}
              %k4: f32[B,1,1,2] = reshape(%k) {shape = <B, 1, 1, 2>}
              %kh: f32[B,1,1,2] = transpose(%k4) {perm = [0, 2, 1, 3]}
              %v4: f32[B,1,1,2] = reshape(%v) {shape = <B, 1, 1, 2>}
              %vh: f32[B,1,1,2] = transpose(%v4) {perm = [0, 2, 1, 3]}
              %present_key: f32[B,1,P+1,2] = concat(%past_key, %kh) {axis = 2}
              %present_value: f32[B,1,P+1,2] = concat(%past_value, %vh) {axis = -2}
              %ku: f32[B,1,1,P+1,2] = unsqueeze(%present_key) {axes = [2]}
              %ke: f32[B,1,2,P+1,2] = expand(%ku) {shape = <B, 1, 2, P+1, 2>}
              %kr: f32[B,2,P+1,2] = reshape(%ke) {shape = <B, 2, P+1, 2>}
              %vu: f32[B,1,1,P+1,2] = unsqueeze(%present_value) {axes = [2]}
              %ve: f32[B,1,2,P+1,2] = expand(%vu) {shape = <B, 1, 2, P+1, 2>}
              %vr: f32[B,2,P+1,2] = reshape(%ve) {shape = <B, 2, P+1, 2>}
              %kt: f32[B,2,2,P+1] = transpose(%kr) {perm = [0, 1, 3, 2]}
              %s: f32[B,2,1,P+1] = matmul(%qh, %kt)
              %sd: f32[B,2,1,P+1] = div(%s, %scale)
              %pad: bool[B,P+1] = equal(%attention_mask, %zero)
              %pad4: bool[B,1,1,P+1] = unsqueeze(%pad) {axes = [1, 2]}
              %mask: f32[B,1,1,P+1] = where(%pad4, %min, %zero_f)
              %sm: f32[B,2,1,P+1] = add(%sd, %mask)
              %p: f32[B,2,1,P+1] = softmax(%sm) {axis = -1}
              %a: f32[B,2,1,2] = matmul(%p, %vr)
              %at: f32[B,1,2,2] = transpose(%a) {perm = [0, 2, 1, 3]}
              %a3: f32[B,1,4] = reshape(%at) {shape = <B, 1, 4>}
              %o: f32[B,1,4] = matmul(%a3, %wo)
              %h: f32[B,1,4] = add(%x, %o)
              %logits: f32[B,1,5] = matmul(%h, %head)
              return %logits, %present_key, %present_value
            }
            """;

    private static Graph paged(String text) {
        return new KvPagingPass().run(IrParser.parse(text, "tiny.fsir"), PassContext.defaults());
    }

    @Test
    void pagesTheAttentionAndDropsThePast() {
        Graph out = paged(DECODER);
        GoldenFiles.assertGolden("kv-paging", "tiny_decoder", IrPrinter.print(out));
        assertEquals("4", out.metadata().get(KvPagingPass.CONTEXT_METADATA), "capped by the 4-row wpe and P <= 3");
    }

    /**
     * A random past of one position, written into the paged cache's slot 0 as well, then two tokens
     * in one paged step: their logits equal the export's run one token at a time with its present
     * fed back as the next past (symbols are at least 1, so the export cannot start empty).
     */
    @Test
    void pagedStepMatchesTheExportTokenByToken() {
        double worst = pagedAgainstExport(DECODER, 2, (e, token, past) -> e.put("ids", ids(token)));
        assertTrue(worst < 1e-5, "paged vs export max-abs " + worst);
    }

    /** Fills the export's inputs other than the past for one token after {@code past} positions. */
    interface StepInputs {
        void put(Map<String, HostTensor> in, int token, long past);
    }

    private static HostTensor ids(int token) {
        return HostTensor.ofLongs(new long[] {1, 1}, token);
    }

    /**
     * The max-abs difference between two tokens in one paged step and the export run token by token.
     * The past is one random position of {@code kvHeads} heads of 2, also in slot 0 of the paged
     * cache's one block ({@code [layer 0][k|v][16 slots][kvHeads * 2]}).
     */
    private static double pagedAgainstExport(String text, int kvHeads, StepInputs exportInputs) {
        Graph export = IrParser.parse(text, "tiny.fsir");
        Graph step = new KvPagingPass().run(export, PassContext.defaults());
        java.util.Random r = new java.util.Random(11);
        HostTensor pastK = HostTensor.random(DType.F32, new long[] {1, kvHeads, 1, 2}, r);
        HostTensor pastV = HostTensor.random(DType.F32, new long[] {1, kvHeads, 1, 2}, r);
        int row = kvHeads * 2;
        HostTensor cache = HostTensor.zeros(DType.F32, new long[] {1, 2 * 16 * row});
        for (int i = 0; i < row; i++) {
            cache.setDouble(i, pastK.getDouble(i));
            cache.setDouble(16 * row + i, pastV.getDouble(i));
        }
        int[] tokens = {3, 4};
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("tokens", HostTensor.ofInts(DType.I32, new long[] {2}, tokens[0], tokens[1]));
        in.put("positions", HostTensor.ofInts(DType.I32, new long[] {2}, 1, 2));
        in.put("seq_ids", HostTensor.ofInts(DType.I32, new long[] {2}, 0, 0));
        in.put("block_table", HostTensor.ofInts(DType.I32, new long[] {1, 1}, 0));
        in.put("kv_cache", cache);
        in.put("logit_rows", HostTensor.ofInts(DType.I32, new long[] {2}, 0, 1));
        float[] paged = new Interpreter(step).run(in).get("logits").toFloatArray();

        double worst = 0;
        for (int t = 0; t < tokens.length; t++) {
            Map<String, HostTensor> e = new LinkedHashMap<>();
            exportInputs.put(e, tokens[t], t + 1);
            e.put("past_key", pastK);
            e.put("past_value", pastV);
            Map<String, HostTensor> out = new Interpreter(export).run(e);
            float[] logits = out.get("logits").toFloatArray();
            for (int i = 0; i < 5; i++) {
                worst = Math.max(worst, Math.abs(logits[i] - paged[t * 5 + i]));
            }
            pastK = out.get("present_key");
            pastV = out.get("present_value");
        }
        return worst;
    }

    @Test
    void refusesAGraphWithoutPastKv() {
        String encoder =
                """
                graph @enc(%x: f32[B,3,4]) -> (%y: f32[B,3,3]) symbols {B <= 4} {
                  %y: f32[B,3,3] = softmax(%x) {axis = -1}
                  return %y
                }
                """;
        FscException e = assertThrows(FscException.class, () -> paged(encoder.replace("f32[B,3,3]", "f32[B,3,4]")));
        assertTrue(e.getMessage().contains("not a decoder with past KV"), e.getMessage());
    }

    /** A mask that is not the new token's causal row would be computed differently: refused, not paged. */
    @Test
    void refusesAMaskThatIsNotCausal() {
        String upper = DECODER.replace(
                "[1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1]", "[1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1]");
        FscException e = assertThrows(FscException.class, () -> paged(upper));
        assertTrue(e.getMessage().contains("causal mask"), e.getMessage());
    }

    @Test
    void refusesAnotherScale() {
        FscException e = assertThrows(FscException.class, () -> paged(DECODER.replace("[1.4142135]", "[2.0]")));
        assertTrue(e.getMessage().contains("not 1/sqrt(2)"), e.getMessage());
    }

    @Test
    void pagesAHuggingFaceStepWithGroupedHeads() {
        Graph out = paged(HF_DECODER);
        GoldenFiles.assertGolden("kv-paging", "tiny_hf_decoder", IrPrinter.print(out));
        assertEquals("4", out.metadata().get(KvPagingPass.CONTEXT_METADATA), "capped by wpe, which position_ids index");
    }

    /**
     * The same check on the Hugging Face form: one KV head in the cache, the export's attention mask
     * all ones and its position ids counting.
     */
    @Test
    void pagedHuggingFaceStepMatchesTheExportTokenByToken() {
        double worst = pagedAgainstExport(HF_DECODER, 1, (e, token, past) -> {
            long[] ones = new long[(int) past + 1];
            java.util.Arrays.fill(ones, 1);
            e.put("input_ids", ids(token));
            e.put("attention_mask", HostTensor.ofLongs(new long[] {1, past + 1}, ones));
            e.put("position_ids", HostTensor.ofLongs(new long[] {1, 1}, past));
        });
        assertTrue(worst < 1e-5, "paged vs export max-abs " + worst);
    }

    /** A mask that adds something to a position of the sequence is not what paged attention computes. */
    @Test
    void refusesAnAdditiveMaskThatIsNotZeroOnTheSequence() {
        FscException e = assertThrows(
                FscException.class,
                () -> paged(HF_DECODER.replace("const @\"zero_f\" [0]", "const @\"zero_f\" [0.5]")));
        assertTrue(e.getMessage().contains("additive mask is not the causal mask"), e.getMessage());
        assertTrue(e.getMessage().contains("adds 0.5"), e.getMessage());
    }

    /** An input the step would still need (here token type ids) has no place in the paged step. */
    @Test
    void refusesAnInputThePagedStepDoesNotHave() {
        String typed = HF_DECODER
                .replace("%position_ids: i64[B,1],", "%position_ids: i64[B,1], %token_type: f32[B,1,4],")
                .replace(
                        "%x: f32[B,1,4] = add(%te, %pe)",
                        "%x0: f32[B,1,4] = add(%te, %pe)\n  %x: f32[B,1,4] = add(%x0, %token_type)");
        FscException e = assertThrows(FscException.class, () -> paged(typed));
        assertTrue(e.getMessage().contains("reads input token_type"), e.getMessage());
    }

    /**
     * A sliding window of 100 positions: nothing is masked until the past passes 100, so only the
     * check at the past length's bound (300 here) sees that paged attention would attend further.
     */
    @Test
    void refusesASlidingWindowNarrowerThanTheContext() {
        String windowed = HF_DECODER
                .replace("P <= 3}", "P <= 300}")
                .replace(
                        "%sm: f32[B,2,1,P+1] = add(%sd, %mask)",
                        """
                          %sm0: f32[B,2,1,P+1] = add(%sd, %mask)
                          %lim: i64[] = dim_values() {dtype = i64, shape = [], values = <P+1>}
                          %now: i64[] = dim_values() {dtype = i64, shape = [], values = <P>}
                          %one: i64[] = const @"one" [1]
                          %window: i64[] = const @"window" [100]
                          %cols: i64[P+1] = range(%zero, %lim, %one)
                          %first: i64[] = sub(%now, %window)
                          %old: bool[P+1] = less(%cols, %first)
                          %slide: f32[P+1] = where(%old, %min, %zero_f)
                          %sm: f32[B,2,1,P+1] = add(%sm0, %slide)""");
        FscException e = assertThrows(FscException.class, () -> paged(windowed));
        assertTrue(e.getMessage().contains("at past length 300"), e.getMessage());
    }
}
