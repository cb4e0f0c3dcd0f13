package fsc.backend.cuda;

import fsc.ir.DType;
import java.util.EnumSet;
import java.util.Set;

/**
 * Device-side reads of GGUF weight rows, one element at a time: {@code fsc_wq_<type>(row, e)} is
 * element {@code e} of a row in its packed layout (ggml's {@code block_q8_0}, {@code block_q4_0},
 * {@code block_q4_1}, {@code block_q4_K}, {@code block_q6_K}; scales are little-endian halves read
 * byte-wise because blocks of 18/34/210 bytes leave them only 2-byte aligned). Consecutive lanes
 * read consecutive elements, so a warp's loads of one block coalesce, and {@code qmatmul} and {@code
 * embedding} share one definition of every layout.
 */
final class QuantCuda {
    private QuantCuda() {}

    /** Weight types the CUDA LLM kernels read. Q5_K has no reader yet and is refused by the support table. */
    static final Set<DType> WEIGHTS =
            EnumSet.of(DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q4_K, DType.Q6_K);

    static final String PRELUDE =
            """
            __device__ __forceinline__ float fsc_half_at(const u8* p) {
              return __half2float(__ushort_as_half((unsigned short)(p[0] | (p[1] << 8))));
            }
            __device__ __forceinline__ float fsc_wq_f32(const u8* row, i64 e) { return ((const float*)row)[e]; }
            __device__ __forceinline__ float fsc_wq_f16(const u8* row, i64 e) { return fsc_half_at(row + 2 * e); }
            __device__ __forceinline__ float fsc_wq_bf16(const u8* row, i64 e) {
              return __uint_as_float((unsigned)(row[2 * e] | (row[2 * e + 1] << 8)) << 16);
            }
            // block_q8_0: half d, int8 qs[32]; x = d * q.
            __device__ __forceinline__ float fsc_wq_q8_0(const u8* row, i64 e) {
              const u8* b = row + (e / 32) * 34;
              return fsc_half_at(b) * (float)(signed char)b[2 + e % 32];
            }
            // block_q4_0: half d, u8 qs[16]; element j < 16 is the low nibble of qs[j], j >= 16 the high one of qs[j-16].
            __device__ __forceinline__ float fsc_wq_q4_0(const u8* row, i64 e) {
              const u8* b = row + (e / 32) * 18;
              const int j = (int)(e % 32);
              const int q = j < 16 ? (b[2 + j] & 0xF) : (b[2 + j - 16] >> 4);
              return fsc_half_at(b) * (float)(q - 8);
            }
            // block_q4_1: half d, half m, u8 qs[16]; x = d * q + m.
            __device__ __forceinline__ float fsc_wq_q4_1(const u8* row, i64 e) {
              const u8* b = row + (e / 32) * 20;
              const int j = (int)(e % 32);
              const int q = j < 16 ? (b[4 + j] & 0xF) : (b[4 + j - 16] >> 4);
              return fsc_half_at(b) * (float)q + fsc_half_at(b + 2);
            }
            // block_q4_K: half d, half dmin, u8 scales[12] (6-bit scale/min pairs), u8 qs[128]; 4 chunks of 64,
            // each the low then the high nibbles of 32 bytes (ggml's dequantize_row_q4_K, get_scale_min_k4).
            __device__ __forceinline__ float fsc_wq_q4_k(const u8* row, i64 e) {
              const u8* b = row + (e / 256) * 144;
              const int r = (int)(e % 256), j = r / 64, hi = (r % 64) / 32, l = r % 32, is = 2 * j + hi;
              const u8* s = b + 4;
              int sc, m;
              if (is < 4) { sc = s[is] & 63; m = s[is + 4] & 63; }
              else { sc = (s[is + 4] & 0xF) | ((s[is - 4] >> 6) << 4); m = (s[is + 4] >> 4) | ((s[is] >> 6) << 4); }
              const u8 q = b[16 + 32 * j + l];
              const int nib = hi ? (q >> 4) : (q & 0xF);
              return fsc_half_at(b) * (float)sc * (float)nib - fsc_half_at(b + 2) * (float)m;
            }
            // block_q6_K: u8 ql[128], u8 qh[64], int8 scales[16], half d; two halves of 128, each four quarters of 32
            // (ggml's dequantize_row_q6_K).
            __device__ __forceinline__ float fsc_wq_q6_k(const u8* row, i64 e) {
              const u8* b = row + (e / 256) * 210;
              const int r = (int)(e % 256), n = r / 128, quarter = (r % 128) / 32, l = r % 32;
              const u8 qlb = b[64 * n + l + ((quarter & 1) ? 32 : 0)];
              const int low = quarter < 2 ? (qlb & 0xF) : (qlb >> 4);
              const int high = (b[128 + 32 * n + l] >> (2 * quarter)) & 3;
              const int sc = (signed char)b[192 + 8 * n + l / 16 + 2 * quarter];
              return fsc_half_at(b + 208) * (float)sc * (float)((low | (high << 4)) - 32);
            }
            """;

    /** The reader function for {@code t}. */
    static String reader(DType t) {
        if (!WEIGHTS.contains(t)) {
            throw new IllegalStateException("backend-cuda: no device reader for weight type " + t.irName());
        }
        return "fsc_wq_" + t.irName();
    }
}
