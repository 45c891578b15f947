// See include/kernels.h for why this file exists.
#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int projector_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int projector_cpu_has_avx512_skylakex(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512cd") && projector_cpu_has_avx2_fma();
}

__attribute__((target("avx2,fma")))
float projector_accumulate_rows_avx2(const float *partner, int64_t d, int64_t k,
                                     const int32_t *columns, const float *values, int64_t count, float mean,
                                     float *restrict outer, float *restrict linear, float *restrict weighted) {
    float target_sum = 0;
    const int64_t whole = k & ~(int64_t)7;
    int64_t e = 0;
    // Four ratings at a time: each chunk of `outer` is loaded and stored once per four rows.
    for (; e + 4 <= count; e += 4) {
        const float *restrict q0 = partner + (int64_t)columns[e] * d, *restrict q1 = partner + (int64_t)columns[e + 1] * d;
        const float *restrict q2 = partner + (int64_t)columns[e + 2] * d, *restrict q3 = partner + (int64_t)columns[e + 3] * d;
        if (k == 16) {
            // BPMF's default rank: the four rows' two chunks each stay in registers.
            const __m256 a0 = _mm256_loadu_ps(q0), b0 = _mm256_loadu_ps(q0 + 8);
            const __m256 a1 = _mm256_loadu_ps(q1), b1 = _mm256_loadu_ps(q1 + 8);
            const __m256 a2 = _mm256_loadu_ps(q2), b2 = _mm256_loadu_ps(q2 + 8);
            const __m256 a3 = _mm256_loadu_ps(q3), b3 = _mm256_loadu_ps(q3 + 8);
            for (int64_t r = 0; r < 16; r++) {
                const __m256 s0 = _mm256_set1_ps(q0[r]), s1 = _mm256_set1_ps(q1[r]);
                const __m256 s2 = _mm256_set1_ps(q2[r]), s3 = _mm256_set1_ps(q3[r]);
                float *row = outer + r * 16;
                if (r < 8) {
                    __m256 sum = _mm256_loadu_ps(row);
                    sum = _mm256_fmadd_ps(s0, a0, sum);
                    sum = _mm256_fmadd_ps(s1, a1, sum);
                    sum = _mm256_fmadd_ps(s2, a2, sum);
                    sum = _mm256_fmadd_ps(s3, a3, sum);
                    _mm256_storeu_ps(row, sum);
                }
                __m256 sum = _mm256_loadu_ps(row + 8);
                sum = _mm256_fmadd_ps(s0, b0, sum);
                sum = _mm256_fmadd_ps(s1, b1, sum);
                sum = _mm256_fmadd_ps(s2, b2, sum);
                sum = _mm256_fmadd_ps(s3, b3, sum);
                _mm256_storeu_ps(row + 8, sum);
            }
        } else for (int64_t r = 0; r < k; r++) {
            const __m256 s0 = _mm256_set1_ps(q0[r]), s1 = _mm256_set1_ps(q1[r]);
            const __m256 s2 = _mm256_set1_ps(q2[r]), s3 = _mm256_set1_ps(q3[r]);
            float *row = outer + r * k;
            int64_t c = r & ~(int64_t)7;
            for (; c < whole; c += 8) {
                __m256 sum = _mm256_loadu_ps(row + c);
                sum = _mm256_fmadd_ps(s0, _mm256_loadu_ps(q0 + c), sum);
                sum = _mm256_fmadd_ps(s1, _mm256_loadu_ps(q1 + c), sum);
                sum = _mm256_fmadd_ps(s2, _mm256_loadu_ps(q2 + c), sum);
                sum = _mm256_fmadd_ps(s3, _mm256_loadu_ps(q3 + c), sum);
                _mm256_storeu_ps(row + c, sum);
            }
            for (; c < k; c++) row[c] += q0[r] * q0[c] + q1[r] * q1[c] + q2[r] * q2[c] + q3[r] * q3[c];
        }
        const float *q[4] = {q0, q1, q2, q3};
        for (int i = 0; i < 4; i++) {
            const float t = values[e + i] - mean - q[i][k];
            const __m256 tv = _mm256_set1_ps(t);
            int64_t c = 0;
            for (; c < whole; c += 8) {
                const __m256 value = _mm256_loadu_ps(q[i] + c);
                _mm256_storeu_ps(linear + c, _mm256_add_ps(_mm256_loadu_ps(linear + c), value));
                _mm256_storeu_ps(weighted + c, _mm256_fmadd_ps(tv, value, _mm256_loadu_ps(weighted + c)));
            }
            for (; c < k; c++) {
                linear[c] += q[i][c];
                weighted[c] += t * q[i][c];
            }
            target_sum += t;
        }
    }
    for (; e < count; e++) {
        const float *q = partner + (int64_t)columns[e] * d;
        for (int64_t r = 0; r < k; r++) {
            const __m256 s = _mm256_set1_ps(q[r]);
            float *row = outer + r * k;
            int64_t c = r & ~(int64_t)7;
            for (; c < whole; c += 8) _mm256_storeu_ps(row + c, _mm256_fmadd_ps(s, _mm256_loadu_ps(q + c), _mm256_loadu_ps(row + c)));
            for (; c < k; c++) row[c] += q[r] * q[c];
        }
        const float t = values[e] - mean - q[k];
        for (int64_t c = 0; c < k; c++) {
            linear[c] += q[c];
            weighted[c] += t * q[c];
        }
        target_sum += t;
    }
    return target_sum;
}

__attribute__((target("avx2,fma")))
static inline float horizontal_sum(__m256 v) {
    const __m128 pair = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 half = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
    return _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps(half, half, 1)));
}

__attribute__((target("avx2,fma")))
void projector_gram_pass_avx2(const float *fixed, int64_t k, const int32_t *columns, const float *targets,
                              int64_t count, const float *v, float *out) {
    const int64_t whole = k & ~(int64_t)7;
    for (int64_t c = 0; c <= k; c++) out[c] = 0;
    float bias_sum = 0;
    for (int64_t e = 0; e < count; e++) {
        const float *restrict q = fixed + (int64_t)columns[e] * k;
        // s = g · v with g = [q, 1]
        __m256 lanes = _mm256_setzero_ps();
        int64_t c = 0;
        for (; c < whole; c += 8) lanes = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), _mm256_loadu_ps(v + c), lanes);
        float s = horizontal_sum(lanes) + v[k];
        for (; c < k; c++) s += q[c] * v[c];
        const float w = targets ? targets[e] - s : s;
        const __m256 wv = _mm256_set1_ps(w);
        for (c = 0; c < whole; c += 8) _mm256_storeu_ps(out + c, _mm256_fmadd_ps(wv, _mm256_loadu_ps(q + c), _mm256_loadu_ps(out + c)));
        for (; c < k; c++) out[c] += w * q[c];
        bias_sum += w;
    }
    out[k] = bias_sum;
}

__attribute__((target("avx2")))
static inline double projector_lane_sum(__m256d lanes) {
    double l[4];
    _mm256_storeu_pd(l, lanes);
    return ((l[0] + l[1]) + l[2]) + l[3];
}

// Only multiplies and adds, never contracted (no FMA in the target, and the pragma whatever the
// flags): `laneDot`'s bytes.
#pragma STDC FP_CONTRACT OFF
__attribute__((target("avx2")))
void projector_lane_dots_f64_avx2(const double *x, const double *rows, int64_t n, int64_t count, double *out) {
    const int64_t whole = n & ~(int64_t)3;
    int64_t r = 0;
    for (; r + 4 <= count; r += 4) {
        const double *b0 = rows + r * n, *b1 = b0 + n, *b2 = b1 + n, *b3 = b2 + n;
        __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), s2 = _mm256_setzero_pd(), s3 = _mm256_setzero_pd();
        for (int64_t i = 0; i < whole; i += 4) {
            const __m256d a = _mm256_loadu_pd(x + i);
            s0 = _mm256_add_pd(s0, _mm256_mul_pd(a, _mm256_loadu_pd(b0 + i)));
            s1 = _mm256_add_pd(s1, _mm256_mul_pd(a, _mm256_loadu_pd(b1 + i)));
            s2 = _mm256_add_pd(s2, _mm256_mul_pd(a, _mm256_loadu_pd(b2 + i)));
            s3 = _mm256_add_pd(s3, _mm256_mul_pd(a, _mm256_loadu_pd(b3 + i)));
        }
        double t0 = projector_lane_sum(s0), t1 = projector_lane_sum(s1), t2 = projector_lane_sum(s2), t3 = projector_lane_sum(s3);
        for (int64_t i = whole; i < n; i++) {
            t0 += x[i] * b0[i]; t1 += x[i] * b1[i]; t2 += x[i] * b2[i]; t3 += x[i] * b3[i];
        }
        out[r] = t0; out[r + 1] = t1; out[r + 2] = t2; out[r + 3] = t3;
    }
    for (; r < count; r++) {
        const double *b = rows + r * n;
        __m256d s = _mm256_setzero_pd();
        for (int64_t i = 0; i < whole; i += 4) s = _mm256_add_pd(s, _mm256_mul_pd(_mm256_loadu_pd(x + i), _mm256_loadu_pd(b + i)));
        double t = projector_lane_sum(s);
        for (int64_t i = whole; i < n; i++) t += x[i] * b[i];
        out[r] = t;
    }
}

#else

int projector_cpu_has_avx2_fma(void) { return 0; }

int projector_cpu_has_avx512_skylakex(void) { return 0; }

void projector_lane_dots_f64_avx2(const double *x, const double *rows, int64_t n, int64_t count, double *out) {
    (void)x; (void)rows; (void)n; (void)count; (void)out;
}

void projector_gram_pass_avx2(const float *fixed, int64_t k, const int32_t *columns, const float *targets,
                              int64_t count, const float *v, float *out) {
    (void)fixed; (void)k; (void)columns; (void)targets; (void)count; (void)v; (void)out;
}

float projector_accumulate_rows_avx2(const float *partner, int64_t d, int64_t k,
                                     const int32_t *columns, const float *values, int64_t count, float mean,
                                     float *outer, float *linear, float *weighted) {
    (void)partner; (void)d; (void)k; (void)columns; (void)values; (void)count; (void)mean;
    (void)outer; (void)linear; (void)weighted;
    return 0;
}

#endif
