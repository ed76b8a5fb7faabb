#ifndef SLUICE_KERNELS_H
#define SLUICE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Dot products of one query code vector with `count` code vectors laid out
/// one after another, `stride` bytes each (a multiple of 32, zeros past the
/// dimension); every code is -63...63. Writes `count` results to `out`.
/// Uses AVX2 when the processor has it (checked once), SSE2 otherwise, and
/// plain C elsewhere than x86-64.
void sluice_dot_codes(const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out);

/// Which kernel `sluice_dot_codes` uses: "avx2", "sse2" or "portable".
const char *sluice_dot_codes_kernel(void);

/// `sluice_dot_codes` with the kernel named (for tests): 0 when this
/// processor or build does not have it, and nothing is written.
int sluice_dot_codes_using(const char *kernel, const int8_t *query, const int8_t *codes, size_t stride, size_t count, int32_t *out);

#endif
