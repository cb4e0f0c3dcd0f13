// Peak throughput of one core for docs/PERFORMANCE-INT8.md: AVX512_VNNI vpdpbusd (u8 x s8, 64
// multiply-adds per instruction, what ONNX Runtime's int8 GEMM uses on this CPU) against AVX-512
// FMA (16 per instruction, what the Java int8 kernel runs on). 12 independent accumulators hide
// the latency; timed in thread CPU time, so other jobs on a shared machine do not count.
// Build and run: gcc -O2 -mavx512f -mavx512bw -mavx512vnni int8_peak.c -o int8_peak && ./int8_peak
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    const long iters = 50000000;
    __m512i a = _mm512_set1_epi32(0x01020304), b = _mm512_set1_epi32(0x01010101);
    __m512i c[12];
    __m512 x = _mm512_set1_ps(1.0001f), y = _mm512_set1_ps(0.9999f), f[12];
    for (int j = 0; j < 12; j++) {
        c[j] = _mm512_setzero_si512();
        f[j] = _mm512_setzero_ps();
    }
    for (int round = 0; round < 5; round++) {
        double t0 = cpu_seconds();
        for (long i = 0; i < iters; i++) {
#pragma GCC unroll 12
            for (int j = 0; j < 12; j++) c[j] = _mm512_dpbusd_epi32(c[j], a, b);
            __asm__ volatile("" : "+v"(a));
        }
        double t1 = cpu_seconds();
        for (long i = 0; i < iters; i++) {
#pragma GCC unroll 12
            for (int j = 0; j < 12; j++) f[j] = _mm512_fmadd_ps(x, y, f[j]);
            __asm__ volatile("" : "+v"(x));
        }
        double t2 = cpu_seconds();
        double ops = 2.0 * iters * 12;
        printf("vpdpbusd zmm %6.1f GOP/s   vfmadd231ps zmm %6.1f GOP/s (= f32 GFLOP/s)\n",
               ops * 64 / (t1 - t0) / 1e9, ops * 16 / (t2 - t1) / 1e9);
    }
    int s = 0;
    float fs = 0;
    for (int j = 0; j < 12; j++) {
        s += _mm512_reduce_add_epi32(c[j]);
        fs += _mm512_reduce_add_ps(f[j]);
    }
    return (s == 1 && fs == 1.0f) ? 1 : 0;
}
