// _CKernels: the inner loops Projector writes in C, for the instructions Swift cannot emit.
//
// Why C: a portable Swift binary is compiled for baseline x86-64 (SSE2, no FMA). BPMF's row
// sampler spends most of its time adding outer products q qᵀ of short rows, and ALS's
// conjugate-gradient solver applying a row's Gram matrix to a vector; with AVX2 and FMA these
// loops run two to three times as fast. Clang compiles these functions for AVX2+FMA through a
// `target` attribute, and the caller picks them at run time only when the CPU has both
// (`projector_cpu_has_avx2_fma`), so the binaries still run on any x86-64 (and on other
// architectures, where the AVX2 entry point is compiled out and reports itself unavailable).
#ifndef PROJECTOR_KERNELS_H
#define PROJECTOR_KERNELS_H

#include <stdint.h>

/// 1 when the CPU has AVX2 and FMA (and this is an x86-64 build), else 0.
int projector_cpu_has_avx2_fma(void);

/// 1 when the CPU (and the OS, which must save the registers) has the AVX-512 subsets OpenBLAS's
/// SkylakeX kernels use (F, BW, VL, DQ, CD) besides AVX2 and FMA, else 0. `BLASCore` reads it.
int projector_cpu_has_avx512_skylakex(void);

/// For the `count` partner rows `partner + columns[e] * d` (e < count; each row holds k factors
/// then a bias in slot k) with targets t_e = values[e] − mean − row[k]:
///   outer (k × k, row-major) += Σ q qᵀ   — only the upper triangle (c ≥ r) is written;
///   linear[0..<k] += Σ q;  weighted[0..<k] += Σ t q;  returns Σ t.
/// AVX2 + FMA; call only when `projector_cpu_has_avx2_fma()` is 1.
float projector_accumulate_rows_avx2(const float *partner, int64_t d, int64_t k,
                                     const int32_t *columns, const float *values, int64_t count, float mean,
                                     float *outer, float *linear, float *weighted);

/// One pass of ALS's conjugate-gradient solver over a row's ratings. With g_e = [q_e, 1] where
/// q_e = fixed + columns[e] * k (k floats) and v of length k + 1:
///   targets != NULL:  out = Σ g_e (targets[e] − g_e · v)   (the residual's data part)
///   targets == NULL:  out = Σ g_e (g_e · v)                 (the Gram matrix applied to v)
/// out has k + 1 floats and is overwritten. AVX2 + FMA; call only when
/// `projector_cpu_has_avx2_fma()` is 1.
void projector_gram_pass_avx2(const float *fixed, int64_t k, const int32_t *columns, const float *targets,
                              int64_t count, const float *v, float *out);

/// out[r] = x · rows[r] for the `count` rows `rows + r * n` (r < count), in double precision and
/// in exactly `laneDot`'s order (four lanes, lane j summing the products at j, j + 4, …, each a
/// multiply then an add — no FMA; the lanes summed 0 + 1 + 2 + 3 in turn; then the tail one by
/// one): the same bytes as the Swift loop, four rows per pass over x. AVX2 (no FMA); call only
/// when `projector_cpu_has_avx2_fma()` is 1. Fold-in's Woodbury system, X S Xᵀ, is these dots.
void projector_lane_dots_f64_avx2(const double *x, const double *rows, int64_t n, int64_t count, double *out);

#endif
