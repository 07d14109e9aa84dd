// The hot loops of the native LSTM kernel (see lstm.h): the activations and their derivatives,
// the register-blocked matrix products and Adam's update. Each carries an AVX2/FMA clone beside
// the baseline x86-64 one (target_clones, picked at load time), and the product an AVX-512
// kernel picked at run time; every variant sums in the same order, so all give the same bits.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "lstm.h"
#include "vec8.h"

namespace lstmkit_native {

// v = activation(v), in place, n elements.
LSTMKIT_CLONES void activate(int activation, float* __restrict v, long n) {
  switch (activation) {
    case kTanh: {
      long i = 0;
      for (; i + 8 <= n; i += 8) store8(v + i, tanh8(load8(v + i)));
      for (; i < n; ++i) v[i] = std::tanh(v[i]);
      break;
    }
    case kSigmoid: {
      long i = 0;
      for (; i + 8 <= n; i += 8) store8(v + i, sigmoid8(load8(v + i)));
      for (; i < n; ++i) v[i] = 1.0f / (1.0f + std::exp(-v[i]));
      break;
    }
    case kHardSigmoid:  // Keras 3: relu6(x + 3) / 6
      for (long i = 0; i < n; ++i) v[i] = std::fmin(std::fmax(v[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
      break;
    case kRelu:
      for (long i = 0; i < n; ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
      break;
    case kLinear:
      break;
    case kSoftsign:
      for (long i = 0; i < n; ++i) v[i] = v[i] / (1.0f + std::fabs(v[i]));
      break;
    case kElu:
      for (long i = 0; i < n; ++i) v[i] = v[i] > 0.0f ? v[i] : std::expm1(v[i]);
      break;
    case kSelu:
      for (long i = 0; i < n; ++i)
        v[i] = kSeluScale * (v[i] > 0.0f ? v[i] : kSeluAlpha * std::expm1(v[i]));
      break;
  }
}

#ifdef LSTMKIT_AVX512
namespace {

typedef float v16f_act __attribute__((vector_size(64)));
typedef int v16i_act __attribute__((vector_size(64)));

// exp8, sigmoid8 and tanh8 of vec8.h on sixteen lanes: the same operations, lane by lane.
__attribute__((always_inline)) inline v16f_act exp16(const v16f_act& argument) {
  v16f_act x = argument;
  const v16f_act hi = v16f_act{} + 88.3762626647949f, lo = v16f_act{} - 87.3365478515625f;
  x = x < hi ? x : hi;
  x = x > lo ? x : lo;
  const v16f_act shifter = v16f_act{} + 12582912.0f;
  const v16f_act n = (x * 1.44269504088896341f + shifter) - shifter;
  const v16f_act r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  const v16f_act z = r * r;
  v16f_act y = v16f_act{} + 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  const v16i_act bits = (__builtin_convertvector(n, v16i_act) + 127) << 23;
  v16f_act scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return y * scale;
}

__attribute__((always_inline)) inline v16f_act tanh16(const v16f_act& x) {
  const v16f_act a = x < 0.0f ? -x : x;
  const v16f_act s = x * x;
  v16f_act p = v16f_act{} - 5.70498872745e-3f;
  p = p * s + 2.06390887954e-2f;
  p = p * s - 5.37397155531e-2f;
  p = p * s + 1.33314422036e-1f;
  p = p * s - 3.33332819422e-1f;
  const v16f_act small = p * s * x + x;
  v16f_act large = 1.0f - 2.0f / (exp16(a + a) + 1.0f);
  large = x < 0.0f ? -large : large;
  return a < 0.625f ? small : large;
}

__attribute__((target("arch=x86-64-v4"))) void activate_avx512(int activation, float* v, long n) {
  long i = 0;
  if (activation == kTanh) {
    for (; i + 16 <= n; i += 16) {
      v16f_act x;
      std::memcpy(&x, v + i, sizeof(x));
      x = tanh16(x);
      std::memcpy(v + i, &x, sizeof(x));
    }
  } else if (activation == kSigmoid) {
    for (; i + 16 <= n; i += 16) {
      v16f_act x;
      std::memcpy(&x, v + i, sizeof(x));
      x = 1.0f / (1.0f + exp16(-x));
      std::memcpy(v + i, &x, sizeof(x));
    }
  }
  if (i < n) activate(activation, v + i, n - i);
}

}  // namespace
#endif

void activate_wide(int activation, float* __restrict v, long n) {
#ifdef LSTMKIT_AVX512
  if (g_avx512_allowed && avx512_available()) return activate_avx512(activation, v, n);
#endif
  activate(activation, v, n);
}

// d = activation'(x) written from y = activation(x), n elements.
LSTMKIT_CLONES void derivative(int activation, const float* __restrict y, float* __restrict d,
                               long n) {
  switch (activation) {
    case kTanh:
      for (long i = 0; i < n; ++i) d[i] = 1.0f - y[i] * y[i];
      break;
    case kSigmoid:
      for (long i = 0; i < n; ++i) d[i] = y[i] * (1.0f - y[i]);
      break;
    case kHardSigmoid:  // 1/6 strictly inside (-3, 3), where the output is strictly in (0, 1)
      for (long i = 0; i < n; ++i) d[i] = (y[i] > 0.0f && y[i] < 1.0f) ? 1.0f / 6.0f : 0.0f;
      break;
    case kRelu:
      for (long i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? 1.0f : 0.0f;
      break;
    case kLinear:
      for (long i = 0; i < n; ++i) d[i] = 1.0f;
      break;
    case kSoftsign:  // 1 / (1 + |x|)^2 = (1 - |y|)^2
      for (long i = 0; i < n; ++i) {
        const float r = 1.0f - std::fabs(y[i]);
        d[i] = r * r;
      }
      break;
    case kElu:  // exp(x) = y + 1 below zero
      for (long i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? 1.0f : y[i] + 1.0f;
      break;
    case kSelu:  // scale * alpha * exp(x) = y + scale * alpha below zero
      for (long i = 0; i < n; ++i) d[i] = y[i] > 0.0f ? kSeluScale : y[i] + kSeluScale * kSeluAlpha;
      break;
  }
}

// The products' internals: only gemm_rows and gemm_rows_nt are called from outside.
namespace {

thread_local std::vector<long> tl_nonzero;

// The k of [0, K) where any of the rows a[0..rows) is non-zero, into tl_nonzero; their count.
inline long nonzero_columns(const float* const* a, int rows, long K) {
  tl_nonzero.resize(K);
  long count = 0;
  for (long k = 0; k < K; ++k) {
    bool any = false;
    for (int r = 0; r < rows; ++r) any |= a[r][k] != 0.0f;
    tl_nonzero[count] = k;
    count += any;
  }
  return count;
}

// Four rows of a gemm_rows product: rows a0..a3 of A, c0..c3 of C, M (K, N), and the k to sum
// over (ks[0..nk), or 0..nk when ks is null).
struct Rows4 {
  const float *a0, *a1, *a2, *a3;
  float *c0, *c1, *c2, *c3;
  const float* M;
  long N, nk;
  const long* ks;
};

// The column blocks of four rows for a vector type V of L lanes, always inlined into the
// kernel that calls them, so they compile for its instruction set (AVX2 or AVX-512). Each
// element of C sums over k in the same order whatever V is, so every kernel gives the same bits.
// rows4_pairs: blocks of 2L columns (eight accumulators); rows4_singles: blocks of L; both
// return the first column they did not do. rows4_scalars: the columns left.
template <typename V>
__attribute__((always_inline)) inline V load_v(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

template <typename V>
__attribute__((always_inline)) inline void add_store_v(float* p, const V& v) {
  const V sum = v + load_v<V>(p);
  std::memcpy(p, &sum, sizeof(sum));
}

// Four rows by the columns [j, j + L) of two chunks (at c and c + second, M likewise): eight
// accumulators. rows4_pairs takes it with second = L; the grouped product for a block whose
// chunks are one vector wide (16 units on AVX-512).
template <typename V>
__attribute__((always_inline)) inline void block4_two(const float* const* a, float* const* c,
                                                      const float* M, long ldm, long j,
                                                      long second, long nk, const long* ks) {
  V s00 = {}, s01 = {}, s10 = {}, s11 = {}, s20 = {}, s21 = {}, s30 = {}, s31 = {};
  for (long i = 0; i < nk; ++i) {
    const long k = ks ? ks[i] : i;
    const float v0 = a[0][k], v1 = a[1][k], v2 = a[2][k], v3 = a[3][k];
    const float* m = M + k * ldm + j;
    const V m0 = load_v<V>(m), m1 = load_v<V>(m + second);
    s00 += v0 * m0;
    s01 += v0 * m1;
    s10 += v1 * m0;
    s11 += v1 * m1;
    s20 += v2 * m0;
    s21 += v2 * m1;
    s30 += v3 * m0;
    s31 += v3 * m1;
  }
  add_store_v(c[0] + j, s00);
  add_store_v(c[0] + j + second, s01);
  add_store_v(c[1] + j, s10);
  add_store_v(c[1] + j + second, s11);
  add_store_v(c[2] + j, s20);
  add_store_v(c[2] + j + second, s21);
  add_store_v(c[3] + j, s30);
  add_store_v(c[3] + j + second, s31);
}

template <typename V>
__attribute__((always_inline)) inline long rows4_pairs(const Rows4& q, long j) {
  constexpr long L = sizeof(V) / sizeof(float);
  const float* const a[4] = {q.a0, q.a1, q.a2, q.a3};
  float* const c[4] = {q.c0, q.c1, q.c2, q.c3};
  for (; j + 2 * L <= q.N; j += 2 * L) block4_two<V>(a, c, q.M, q.N, j, L, q.nk, q.ks);
  return j;
}

template <typename V>
__attribute__((always_inline)) inline long rows4_singles(const Rows4& q, long j) {
  constexpr long L = sizeof(V) / sizeof(float);
  for (; j + L <= q.N; j += L) {
    V s0 = {}, s1 = {}, s2 = {}, s3 = {};
    for (long i = 0; i < q.nk; ++i) {
      const long k = q.ks ? q.ks[i] : i;
      const V m = load_v<V>(q.M + k * q.N + j);
      s0 += q.a0[k] * m;
      s1 += q.a1[k] * m;
      s2 += q.a2[k] * m;
      s3 += q.a3[k] * m;
    }
    add_store_v(q.c0 + j, s0);
    add_store_v(q.c1 + j, s1);
    add_store_v(q.c2 + j, s2);
    add_store_v(q.c3 + j, s3);
  }
  return j;
}

__attribute__((always_inline)) inline void rows4_scalars(const Rows4& q, long j) {
  for (; j < q.N; ++j) {
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (long i = 0; i < q.nk; ++i) {
      const long k = q.ks ? q.ks[i] : i;
      const float m = q.M[k * q.N + j];
      s0 += q.a0[k] * m;
      s1 += q.a1[k] * m;
      s2 += q.a2[k] * m;
      s3 += q.a3[k] * m;
    }
    q.c0[j] += s0;
    q.c1[j] += s1;
    q.c2[j] += s2;
    q.c3[j] += s3;
  }
}

// C[r, :] += A[r, :] @ M for the rows r of a (rows, K) x (K, N) product, where row r of A is at
// a_rows[r] and row r of C at c_rows[r]. Register-blocked: four rows by sixteen columns of C are
// accumulated in registers over the whole of K, so each element of M loaded feeds four
// multiply-adds and C is read and written once. With skip_zeros, the k where all four rows of A
// are zero are left out, found once per four rows (one-hot inputs, zero initial states and relu
// outputs are common in the models this is for).
LSTMKIT_CLONES void gemm_rows_portable(const float* const* a_rows, const float* __restrict M,
                                       float* const* c_rows, long rows, long K, long N,
                                       bool skip_zeros) {
  long r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *a0 = a_rows[r], *a1 = a_rows[r + 1], *a2 = a_rows[r + 2], *a3 = a_rows[r + 3];
    float *c0 = c_rows[r], *c1 = c_rows[r + 1], *c2 = c_rows[r + 2], *c3 = c_rows[r + 3];
    const long nk = skip_zeros ? nonzero_columns(a_rows + r, 4, K) : K;
    const long* ks = skip_zeros ? tl_nonzero.data() : nullptr;
    if (nk == 0) continue;
    const Rows4 q{a0, a1, a2, a3, c0, c1, c2, c3, M, N, nk, ks};
    long j = rows4_pairs<v8f>(q, 0);
    j = rows4_singles<v8f>(q, j);
    rows4_scalars(q, j);
  }
  for (; r < rows; ++r) {
    const float* a = a_rows[r];
    float* c = c_rows[r];
    const long nk = skip_zeros ? nonzero_columns(a_rows + r, 1, K) : K;
    const long* ks = skip_zeros ? tl_nonzero.data() : nullptr;
    long j = 0;
    for (; j + 32 <= N; j += 32) {
      v8f s0 = {}, s1 = {}, s2 = {}, s3 = {};
      for (long i = 0; i < nk; ++i) {
        const long k = ks ? ks[i] : i;
        const float v = a[k];
        const float* m = M + k * N + j;
        s0 += v * load8(m);
        s1 += v * load8(m + 8);
        s2 += v * load8(m + 16);
        s3 += v * load8(m + 24);
      }
      add_store8(c + j, s0);
      add_store8(c + j + 8, s1);
      add_store8(c + j + 16, s2);
      add_store8(c + j + 24, s3);
    }
    for (; j + 8 <= N; j += 8) {
      v8f s0 = {};
      for (long i = 0; i < nk; ++i) {
        const long k = ks ? ks[i] : i;
        s0 += a[k] * load8(M + k * N + j);
      }
      add_store8(c + j, s0);
    }
    for (; j < N; ++j) {
      float s0 = 0.0f;
      for (long i = 0; i < nk; ++i) {
        const long k = ks ? ks[i] : i;
        s0 += a[k] * M[k * N + j];
      }
      c[j] += s0;
    }
  }
}

#ifdef LSTMKIT_AVX512
// The same product on AVX-512 CPUs: four rows by thirty-two columns of C in eight 16-lane
// registers (twice the columns per instruction of the portable kernel), then sixteen, then
// eight columns, then one; the same column blocks as the portable kernel, so the same bits.
typedef float v16f __attribute__((vector_size(64)));

__attribute__((target("arch=x86-64-v4"))) void gemm_rows_avx512(
    const float* const* a_rows, const float* __restrict M, float* const* c_rows, long rows,
    long K, long N, bool skip_zeros) {
  long r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *a0 = a_rows[r], *a1 = a_rows[r + 1], *a2 = a_rows[r + 2], *a3 = a_rows[r + 3];
    float *c0 = c_rows[r], *c1 = c_rows[r + 1], *c2 = c_rows[r + 2], *c3 = c_rows[r + 3];
    const long nk = skip_zeros ? nonzero_columns(a_rows + r, 4, K) : K;
    const long* ks = skip_zeros ? tl_nonzero.data() : nullptr;
    if (nk == 0) continue;
    const Rows4 q{a0, a1, a2, a3, c0, c1, c2, c3, M, N, nk, ks};
    long j = rows4_pairs<v16f>(q, 0);
    j = rows4_singles<v16f>(q, j);
    j = rows4_singles<v8f>(q, j);
    rows4_scalars(q, j);
  }
  if (r < rows) gemm_rows_portable(a_rows + r, M, c_rows + r, rows - r, K, N, skip_zeros);
}
#endif

// The diagonal blocks of a block-diagonal product (gemm_rows_block): its arguments.
struct Block {
  const float* const* a_rows;
  long a_off;
  const float* M;
  long ldm;
  float* const* c_rows;
  long c_off, rows, K;
  const long* ks;
  long N, chunks, stride;
  bool skip_zeros;
};

// Four rows by four chunks one vector wide each (at M + q * stride, c + q * stride): sixteen
// accumulators, for AVX-512's 32 registers (an LSTM's four gates of 16 units).
template <typename V>
__attribute__((always_inline)) inline void block4_four(const float* const* a, float* const* c,
                                                       const float* M, long ldm, long stride,
                                                       long nk, const long* ks) {
  V s[4][4] = {};
  for (long i = 0; i < nk; ++i) {
    const long k = ks ? ks[i] : i;
    const float* m = M + k * ldm;
    const V m0 = load_v<V>(m), m1 = load_v<V>(m + stride), m2 = load_v<V>(m + 2 * stride),
            m3 = load_v<V>(m + 3 * stride);
    for (int t = 0; t < 4; ++t) {
      const float v = a[t][k];
      s[t][0] += v * m0;
      s[t][1] += v * m1;
      s[t][2] += v * m2;
      s[t][3] += v * m3;
    }
  }
  for (int t = 0; t < 4; ++t)
    for (int q = 0; q < 4; ++q) add_store_v(c[t] + q * stride, s[t][q]);
}

// Four rows by the columns [j, j + L) of one chunk: eight accumulators, the even and the odd k
// apart (four chains of dependent multiply-adds would leave half the FMA units idle), summed at
// the end.
template <typename V>
__attribute__((always_inline)) inline void block4_one(const float* const* a, float* const* c,
                                                      const float* M, long ldm, long j, long nk,
                                                      const long* ks) {
  V s0 = {}, s1 = {}, s2 = {}, s3 = {}, t0 = {}, t1 = {}, t2 = {}, t3 = {};
  long i = 0;
  for (; i + 2 <= nk; i += 2) {
    const long k = ks ? ks[i] : i, l = ks ? ks[i + 1] : i + 1;
    const V m = load_v<V>(M + k * ldm + j), n = load_v<V>(M + l * ldm + j);
    s0 += a[0][k] * m;
    s1 += a[1][k] * m;
    s2 += a[2][k] * m;
    s3 += a[3][k] * m;
    t0 += a[0][l] * n;
    t1 += a[1][l] * n;
    t2 += a[2][l] * n;
    t3 += a[3][l] * n;
  }
  if (i < nk) {
    const long k = ks ? ks[i] : i;
    const V m = load_v<V>(M + k * ldm + j);
    s0 += a[0][k] * m;
    s1 += a[1][k] * m;
    s2 += a[2][k] * m;
    s3 += a[3][k] * m;
  }
  add_store_v(c[0] + j, s0 + t0);
  add_store_v(c[1] + j, s1 + t1);
  add_store_v(c[2] + j, s2 + t2);
  add_store_v(c[3] + j, s3 + t3);
}

// The columns [j, N) of one chunk of four rows: blocks of two vectors of V, then one of V, one
// of v8f, then one column at a time.
template <typename V>
__attribute__((always_inline)) inline void block4_chunk(const float* const* a, float* const* c,
                                                        const float* M, long ldm, long N,
                                                        long nk, const long* ks) {
  constexpr long L = sizeof(V) / sizeof(float);
  long j = 0;
  for (; j + 2 * L <= N; j += 2 * L) block4_two<V>(a, c, M, ldm, j, L, nk, ks);
  for (; j + L <= N; j += L) block4_one<V>(a, c, M, ldm, j, nk, ks);
  for (; j + 8 <= N; j += 8) block4_one<v8f>(a, c, M, ldm, j, nk, ks);
  for (; j < N; ++j) {
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (long i = 0; i < nk; ++i) {
      const long k = ks ? ks[i] : i;
      const float m = M[k * ldm + j];
      s0 += a[0][k] * m;
      s1 += a[1][k] * m;
      s2 += a[2][k] * m;
      s3 += a[3][k] * m;
    }
    c[0][j] += s0;
    c[1][j] += s1;
    c[2][j] += s2;
    c[3][j] += s3;
  }
}

// Rows r ... p.rows - 1 of a block product (fewer than four) as four: the missing rows of A read
// a row of zeros long enough for every k the product reads, and the missing rows of C are a
// scratch row as wide as the columns it writes.
inline void pad_rows(const Block& p, long r, const float** a, float** c) {
  thread_local std::vector<float> zeros, scratch;
  long span = p.K;
  if (p.ks)
    for (long i = 0; i < p.K; ++i) span = std::max(span, p.ks[i] + 1);
  if (long(zeros.size()) < p.a_off + span) zeros.assign(p.a_off + span, 0.0f);
  const long width = p.c_off + (p.chunks - 1) * p.stride + p.N;
  if (long(scratch.size()) < width) scratch.resize(width);
  for (long t = 0; t < 4; ++t) {
    const bool real = r + t < p.rows;
    a[t] = real ? p.a_rows[r + t] : zeros.data();
    c[t] = real ? p.c_rows[r + t] : scratch.data();
  }
}

// gemm_rows_block for a vector type V, rows in blocks of four (the k where they are all zero
// found once for every chunk; chunks one V wide two or four at a time); block_rows also does
// the last rows, padded to four.
template <typename V>
__attribute__((always_inline)) inline void block_rows4(const Block& p) {
  constexpr long L = sizeof(V) / sizeof(float);
  long r = 0;
  for (; r + 4 <= p.rows; r += 4) {
    const float* a[4];
    float* c[4];
    for (int t = 0; t < 4; ++t) {
      a[t] = p.a_rows[r + t] + p.a_off;
      c[t] = p.c_rows[r + t] + p.c_off;
    }
    long nk = p.K;
    const long* ks = p.ks;
    if (!ks && p.skip_zeros) {
      nk = nonzero_columns(a, 4, p.K);
      ks = tl_nonzero.data();
      if (nk == 0) continue;
    }
    long q = 0;
    if (p.N == L && L == 16 && p.chunks == 4) {
      // AVX-512, sixteen units: the four gates at once, sixteen accumulators (of 32 registers).
      block4_four<V>(a, c, p.M, p.ldm, p.stride, nk, ks);
      q = 4;
    }
    if (p.N == L)
      for (; q + 2 <= p.chunks; q += 2) {
        float* cq[4] = {c[0] + q * p.stride, c[1] + q * p.stride, c[2] + q * p.stride,
                        c[3] + q * p.stride};
        block4_two<V>(a, cq, p.M + q * p.stride, p.ldm, 0, p.stride, nk, ks);
      }
    for (; q < p.chunks; ++q) {
      float* cq[4] = {c[0] + q * p.stride, c[1] + q * p.stride, c[2] + q * p.stride,
                      c[3] + q * p.stride};
      block4_chunk<V>(a, cq, p.M + q * p.stride, p.ldm, p.N, nk, ks);
    }
  }
}

template <typename V>
__attribute__((always_inline)) inline void block_rows(const Block& p) {
  block_rows4<V>(p);
  const long r = p.rows - p.rows % 4;
  if (r < p.rows) {
    // The last one to three rows: a block of four padded with a row of zeros (its products go
    // to a scratch row), so that they too take the vector kernel (a batch of 11 or 1 is common).
    const float* a[4];
    float* c[4];
    pad_rows(p, r, a, c);
    Block q = p;
    q.a_rows = a;
    q.c_rows = c;
    q.rows = 4;
    block_rows4<V>(q);
  }
}

LSTMKIT_CLONES void gemm_rows_block_portable(const Block& p) { block_rows<v8f>(p); }

#ifdef LSTMKIT_AVX512
__attribute__((target("arch=x86-64-v4"))) void gemm_rows_block_avx512(const Block& p) {
  block_rows<v16f>(p);
}
#endif

}  // namespace

void gemm_rows_block(const float* const* a_rows, long a_off, const float* __restrict M, long ldm,
                     float* const* c_rows, long c_off, long rows, long K, const long* ks, long N,
                     long chunks, long chunk_stride, bool skip_zeros) {
  const Block p{a_rows, a_off, M, ldm, c_rows, c_off, rows, K, ks, N, chunks, chunk_stride,
                skip_zeros};
#ifdef LSTMKIT_AVX512
  if (g_avx512_allowed && avx512_available()) return gemm_rows_block_avx512(p);
#endif
  gemm_rows_block_portable(p);
}

// Whether the CPU runs the AVX-512 kernel, and whether it may (set_avx512, for tests).
bool avx512_available() {
#ifdef LSTMKIT_AVX512
  static const bool available =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  return available;
#else
  return false;
#endif
}
bool g_avx512_allowed = true;

// C[r, :] += A[r, :] @ M (see gemm_rows_portable): the AVX-512 kernel where the CPU has it.
void gemm_rows(const float* const* a_rows, const float* __restrict M, float* const* c_rows,
               long rows, long K, long N, bool skip_zeros) {
#ifdef LSTMKIT_AVX512
  if (g_avx512_allowed && avx512_available())
    return gemm_rows_avx512(a_rows, M, c_rows, rows, K, N, skip_zeros);
#endif
  gemm_rows_portable(a_rows, M, c_rows, rows, K, N, skip_zeros);
}

// C[r, n] += sum_k A[r, k] * M[n, k]: a product with M transposed, M (N, K) row-major, so that
// both operands are read along contiguous rows and nothing is transposed. Four rows of A share
// each row of M; eight lanes of partial sums per pair, summed at the end.
LSTMKIT_CLONES void gemm_rows_nt(const float* const* a_rows, const float* __restrict M,
                                 float* const* c_rows, long rows, long K, long N) {
  const long K8 = K - K % 8;
  long r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *a0 = a_rows[r], *a1 = a_rows[r + 1], *a2 = a_rows[r + 2], *a3 = a_rows[r + 3];
    for (long n = 0; n < N; ++n) {
      const float* m = M + n * K;
      v8f s0 = {}, s1 = {}, s2 = {}, s3 = {};
      for (long k = 0; k < K8; k += 8) {
        const v8f mk = load8(m + k);
        s0 += load8(a0 + k) * mk;
        s1 += load8(a1 + k) * mk;
        s2 += load8(a2 + k) * mk;
        s3 += load8(a3 + k) * mk;
      }
      float t0 = hsum8(s0), t1 = hsum8(s1), t2 = hsum8(s2), t3 = hsum8(s3);
      for (long k = K8; k < K; ++k) {
        t0 += a0[k] * m[k];
        t1 += a1[k] * m[k];
        t2 += a2[k] * m[k];
        t3 += a3[k] * m[k];
      }
      c_rows[r][n] += t0;
      c_rows[r + 1][n] += t1;
      c_rows[r + 2][n] += t2;
      c_rows[r + 3][n] += t3;
    }
  }
  for (; r < rows; ++r) {
    const float* a = a_rows[r];
    for (long n = 0; n < N; ++n) {
      const float* m = M + n * K;
      v8f s0 = {}, s1 = {};
      long k = 0;
      for (; k + 16 <= K8; k += 16) {
        s0 += load8(a + k) * load8(m + k);
        s1 += load8(a + k + 8) * load8(m + k + 8);
      }
      for (; k < K8; k += 8) s0 += load8(a + k) * load8(m + k);
      float t = hsum8(s0 + s1);
      for (k = K8; k < K; ++k) t += a[k] * m[k];
      c_rows[r][n] += t;
    }
  }
}

LSTMKIT_CLONES void lstm_cell_backward(const float* __restrict z, const float* __restrict ac,
                                       const float* __restrict c_prev,
                                       const float* __restrict dgate,
                                       const float* __restrict dact,
                                       const float* __restrict dh, float* __restrict dc,
                                       float* __restrict dz, long U) {
  const float *i = z, *f = z + U, *g = z + 2 * U, *o = z + 3 * U;
  for (long k = 0; k < U; ++k) {
    const float dcv = dc[k] + dh[k] * o[k] * dact[k];
    dz[k] = dcv * g[k] * dgate[k];
    dz[U + k] = dcv * c_prev[k] * dgate[U + k];
    dz[2 * U + k] = dcv * i[k] * dgate[2 * U + k];
    dz[3 * U + k] = dh[k] * ac[k] * dgate[3 * U + k];
    dc[k] = dcv * f[k];
  }
}

LSTMKIT_CLONES void lstm_cell_backward_tanh_sigmoid(const float* __restrict z,
                                                    const float* __restrict ac,
                                                    const float* __restrict c_prev,
                                                    const float* __restrict dh,
                                                    float* __restrict dc, float* __restrict dz,
                                                    long U) {
  const float *i = z, *f = z + U, *g = z + 2 * U, *o = z + 3 * U;
  for (long k = 0; k < U; ++k) {
    const float dcv = dc[k] + dh[k] * o[k] * (1.0f - ac[k] * ac[k]);
    dz[k] = dcv * g[k] * (i[k] * (1.0f - i[k]));
    dz[U + k] = dcv * c_prev[k] * (f[k] * (1.0f - f[k]));
    dz[2 * U + k] = dcv * i[k] * (1.0f - g[k] * g[k]);
    dz[3 * U + k] = dh[k] * ac[k] * (o[k] * (1.0f - o[k]));
    dc[k] = dcv * f[k];
  }
}

LSTMKIT_CLONES void add_rows(const float* __restrict a, long rows, long n,
                             float* __restrict out) {
  for (long r = 0; r < rows; ++r)
    for (long j = 0; j < n; ++j) out[j] += a[r * n + j];
}

// out (cols, rows) = in (rows, cols) transposed.
void transpose(const float* __restrict in, float* __restrict out, long rows, long cols) {
  for (long r = 0; r < rows; ++r)
    for (long c = 0; c < cols; ++c) out[c * rows + r] = in[r * cols + c];
}

// Keras's Adam on one array of n floats: m += (g - m)(1 - b1); v = b2 v + (1 - b2) g^2;
// w -= alpha * (m / (sqrt(v) + eps)), as lstmkit.optimizers.Adam computes it in float32.
LSTMKIT_CLONES void adam(float* __restrict w, float* __restrict m, float* __restrict v,
                         const float* __restrict g, long n, float alpha, float one_minus_b1,
                         float b2, float one_minus_b2, float eps) {
  for (long i = 0; i < n; ++i) {
    m[i] += (g[i] - m[i]) * one_minus_b1;
    v[i] = v[i] * b2 + one_minus_b2 * (g[i] * g[i]);
    w[i] += -alpha * (m[i] / (std::sqrt(v[i]) + eps));
  }
}

}  // namespace lstmkit_native
