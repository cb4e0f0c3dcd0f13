// Quantizes each 256-float row of a little-endian f32 file with ggml's ggml_quantize_chunk (no
// importance matrix: the reference quantizers) and prints "type row hex-bytes" per row and type.
// Makes frontend/src/test/resources/fsc/frontend/gguf/quantizer-rows.ggml.txt (see GgufQuantizerReferenceTest):
//   cc -O1 -o q tests/scripts/ggml-quantize-rows.c -I$L/ggml/include -L$L/build/bin -lggml-base
//   LD_LIBRARY_PATH=$L/build/bin ./q quantizer-rows.f32 > quantizer-rows.ggml.txt   (L: the llama.cpp checkout)
#include "ggml.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb");
    static float x[1 << 16];
    size_t n = fread(x, 4, 1 << 16, f);
    int rows = n / 256;
    enum ggml_type types[] = {GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q4_K, GGML_TYPE_Q6_K};
    static unsigned char out[4096];
    for (int t = 0; t < 5; t++) {
        for (int r = 0; r < rows; r++) {
            size_t sz = ggml_quantize_chunk(types[t], x + 256 * r, out, 0, 1, 256, NULL);
            printf("%s %d ", ggml_type_name(types[t]), r);
            for (size_t i = 0; i < sz; i++) printf("%02x", out[i]);
            printf("\n");
        }
    }
    return 0;
}
