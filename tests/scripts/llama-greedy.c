// Greedy generation with llama.cpp's library: prints the prompt ids, the generated ids and, for the
// first 4 steps, the 8 largest logits, as one JSON line. One thread, CPU.
//   greedy MODEL PROMPT N
#include "llama.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: greedy MODEL PROMPT N\n"); return 2; }
    int n_gen = atoi(argv[3]);
    llama_log_set(NULL, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 512; cp.n_batch = 512; cp.n_threads = 1; cp.n_threads_batch = 1;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    int32_t toks[512];
    int n = llama_tokenize(vocab, argv[2], strlen(argv[2]), toks, 512, true, false);
    int n_vocab = llama_vocab_n_tokens(vocab);
    printf("{\"prompt\": \"%s\", \"prompt_token_ids\": [", argv[2]);
    for (int i = 0; i < n; i++) printf(i ? ", %d" : "%d", toks[i]);
    printf("], \"generated_token_ids\": [");
    struct llama_batch b = llama_batch_get_one(toks, n);
    static float top[4][8][2];
    for (int s = 0; s < n_gen; s++) {
        if (llama_decode(ctx, b)) { fprintf(stderr, "decode failed\n"); return 1; }
        float *logits = llama_get_logits_ith(ctx, -1);
        int best = 0;
        for (int v = 1; v < n_vocab; v++) if (logits[v] > logits[best]) best = v;
        if (s < 4) {
            int used[8];
            for (int k = 0; k < 8; k++) {
                int bi = -1;
                for (int v = 0; v < n_vocab; v++) {
                    int taken = 0;
                    for (int j = 0; j < k; j++) if (used[j] == v) taken = 1;
                    if (!taken && (bi < 0 || logits[v] > logits[bi])) bi = v;
                }
                used[k] = bi; top[s][k][0] = bi; top[s][k][1] = logits[bi];
            }
        }
        printf(s ? ", %d" : "%d", best);
        toks[0] = best;
        b = llama_batch_get_one(toks, 1);
    }
    printf("], \"top_logits\": [");
    for (int s = 0; s < 4 && s < n_gen; s++) {
        printf(s ? ", {\"step\": %d, \"top\": [" : "{\"step\": %d, \"top\": [", s);
        for (int k = 0; k < 8; k++) printf(k ? ", [%d, %.6f]" : "[%d, %.6f]", (int) top[s][k][0], top[s][k][1]);
        printf("]}");
    }
    printf("]}\n");
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
