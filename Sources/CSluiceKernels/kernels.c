// The in-memory search's scan (QuantizedVectors in SluiceCore). Swift's SIMD
// types compile to the x86-64 baseline (SSE2) and have no multiply-add of
// bytes; this C file gives the scan AVX2's vpmaddubsw where the processor has
// it, chosen at run time, so the same binary runs everywhere.
#include "sluice_kernels.h"

static int32_t dot_portable(const int8_t *a, const int8_t *b, size_t length) {
    int32_t sum = 0;
    for (size_t i = 0; i < length; i++) sum += (int32_t)a[i] * (int32_t)b[i];
    return sum;
}

static void scan_portable(const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out) {
    for (size_t v = 0; v < count; v++) out[v] = dot_portable(query, codes + v * stride, stride);
}

#if defined(__x86_64__)
#include <immintrin.h>

// SSE2: bytes sign-extended to 16 bits, multiplied and added in pairs (pmaddwd).
static int32_t dot_sse2(const int8_t *a, const int8_t *b, size_t length) {
    __m128i sum = _mm_setzero_si128();
    for (size_t i = 0; i < length; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(a + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(b + i));
        __m128i xl = _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8), xh = _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8);
        __m128i yl = _mm_srai_epi16(_mm_unpacklo_epi8(y, y), 8), yh = _mm_srai_epi16(_mm_unpackhi_epi8(y, y), 8);
        sum = _mm_add_epi32(sum, _mm_add_epi32(_mm_madd_epi16(xl, yl), _mm_madd_epi16(xh, yh)));
    }
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4E));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xB1));
    return _mm_cvtsi128_si32(sum);
}

// AVX2: |query| times the vector's codes with the query's signs (vpmaddubsw
// multiplies unsigned by signed bytes; a pair of 63 x 63 products fits 16
// bits), then pairs of 16-bit sums to 32 bits (vpmaddwd).
__attribute__((target("avx2")))
static int32_t dot_avx2(const int8_t *a, const int8_t *b, size_t length) {
    __m256i sum = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t i = 0; i < length; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256i y = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i products = _mm256_maddubs_epi16(_mm256_abs_epi8(x), _mm256_sign_epi8(y, x));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(products, ones));
    }
    __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0x4E));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0xB1));
    return _mm_cvtsi128_si32(half);
}

__attribute__((target("avx2")))
static void scan_avx2(const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out) {
    for (size_t v = 0; v < count; v++) out[v] = dot_avx2(query, codes + v * stride, stride);
}

static void scan_sse2(const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out) {
    for (size_t v = 0; v < count; v++) out[v] = dot_sse2(query, codes + v * stride, stride);
}

static int has_avx2(void) {
    // Threads may both ask first: each finds the same answer.
    static int known = -1;
    int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&known, answer, __ATOMIC_RELAXED);
    }
    return answer;
}

void sluice_dot_codes(const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out) {
    if (has_avx2()) scan_avx2(query, codes, stride, count, out);
    else scan_sse2(query, codes, stride, count, out);
}

const char *sluice_dot_codes_kernel(void) { return has_avx2() ? "avx2" : "sse2"; }

int sluice_dot_codes_using(const char *kernel, const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out) {
    if (__builtin_strcmp(kernel, "avx2") == 0) {
        if (!has_avx2()) return 0;
        scan_avx2(query, codes, stride, count, out);
    } else if (__builtin_strcmp(kernel, "sse2") == 0) {
        scan_sse2(query, codes, stride, count, out);
    } else if (__builtin_strcmp(kernel, "portable") == 0) {
        scan_portable(query, codes, stride, count, out);
    } else {
        return 0;
    }
    return 1;
}

#else

void sluice_dot_codes(const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out) {
    scan_portable(query, codes, stride, count, out);
}

const char *sluice_dot_codes_kernel(void) { return "portable"; }

int sluice_dot_codes_using(const char *kernel, const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out) {
    if (__builtin_strcmp(kernel, "portable") != 0) return 0;
    scan_portable(query, codes, stride, count, out);
    return 1;
}

#endif
