// A native LSTM for small models: forward over a whole sequence and the hand-derived backward
// pass through time, on raw float32 pointers in Keras's layout. No dependency on torch or any
// BLAS: the sizes it is for (10-256 units, 1-25 timesteps, batches of 1-200) are dominated by
// per-call overhead, not by the arithmetic.
//
// Layout (row-major, gate order i, f, c, o):
//   x (B, T, D)   kernel W (D, 4U)   recurrent kernel R (U, 4U)   bias (4U,) or null
//   h0, c0 (B, U)   y (B, T, U) with return_sequences else (B, U)   hT, cT (B, U)
// "Step" s = 0..T-1 is the order the sequence is walked; with go_backwards step s reads
// timestep T-1-s, and y holds the steps in walked order (as Keras returns it).
//
// The forward keeps, in a caller-provided workspace of forward_workspace_floats(B, T, U) floats:
//   gates (T, B, 4U) after their activations, c (T, B, U), act(c) (T, B, U), h (T, B, U).
// Every activation's derivative is a function of its output, so nothing else is kept.
//
// Speed comes from three things, measured on the workloads' shapes: register-blocked matrix
// products (4 rows x 16 columns of the result in eight AVX registers, GCC vector extensions, no
// intrinsics), skipping the all-zero columns of one-hot inputs and zero states once per block of
// rows, and tanh/sigmoid on eight lanes at once (Cephes's expf and tanhf, about 1e-7 relative,
// within one float32 rounding of torch's). Everything runs on the calling thread.
//
// The module is a CPython extension with METH_FASTCALL entry points taking pointers as integers
// (tensor.data_ptr()), the cheapest call CPython offers; the same functions are exported with C
// linkage for ctypes.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <unistd.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
// One clone per instruction set, chosen at load time by the CPU: safe on every x86-64 machine.
// x86-64-v3 is AVX2 with FMA (GCC 12 and later name the level; older ones get AVX with FMA).
#if __GNUC__ >= 12
#define LSTMKIT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LSTMKIT_CLONES __attribute__((target_clones("fma", "default")))
#endif
#else
#define LSTMKIT_CLONES
#endif

namespace {

// Denormal floats (below 1.2e-38) are 50-100 times slower on x86, and training makes them: an
// Adam moment of a weight whose gradient became zero (a dead relu unit) decays by 0.9 a step into
// that range. While a kernel runs, this thread flushes them to zero (MXCSR's FTZ and DAZ bits),
// and puts the caller's setting back after: W2's training took 14 % less time, same accuracy.
class FlushDenormals {
 public:
#if defined(__SSE__) || defined(__x86_64__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

enum Activation : int {
  kTanh = 0,
  kSigmoid = 1,
  kHardSigmoid = 2,
  kRelu = 3,
  kLinear = 4,
  kSoftsign = 5,
  kElu = 6,
  kSelu = 7,
  kActivationCount = 8,
};

constexpr float kSeluAlpha = 1.6732632423543772848170429916717f;
constexpr float kSeluScale = 1.0507009873554804934193349852946f;

// Eight floats in one vector register (two SSE registers in the baseline clone); loads and
// stores go through memcpy, so no alignment is assumed. The helpers are always inlined, so the
// calling convention of a 32-byte vector (GCC's -Wpsabi note) never applies.
typedef float v8f __attribute__((vector_size(32)));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

inline v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store8(float* p, const v8f& v) { std::memcpy(p, &v, sizeof(v)); }

inline void add_store8(float* p, const v8f& v) {
  const v8f sum = v + load8(p);
  std::memcpy(p, &sum, sizeof(sum));
}

typedef int v8i __attribute__((vector_size(32)));

inline v8f splat8(float f) { return v8f{} + f; }

// exp(x), eight lanes, as Cephes's expf (relative error about 1e-7): x = n ln2 + r with
// |r| <= ln2 / 2, a degree-6 polynomial for exp(r), and 2^n put in the exponent bits. Arguments
// are clamped to [-87.3, 88.4], the normal range of float32.
inline v8f exp8(const v8f& argument) {
  v8f x = argument;
  x = x < splat8(88.3762626647949f) ? x : splat8(88.3762626647949f);
  x = x > splat8(-87.3365478515625f) ? x : splat8(-87.3365478515625f);
  // Round x / ln2 to the nearest integer by adding and subtracting 1.5 * 2^23.
  const v8f shifter = splat8(12582912.0f);
  const v8f n = (x * 1.44269504088896341f + shifter) - shifter;
  const v8f r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  const v8f z = r * r;
  v8f y = splat8(1.9875691500e-4f);
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  const v8i bits = (__builtin_convertvector(n, v8i) + 127) << 23;
  v8f scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return y * scale;
}

inline v8f sigmoid8(const v8f& x) { return 1.0f / (1.0f + exp8(-x)); }

// tanh(x), eight lanes, as Cephes's tanhf: an odd polynomial below |x| = 0.625 (where
// 1 - 2 / (exp(2x) + 1) would lose digits), that formula above.
inline v8f tanh8(const v8f& x) {
  const v8f a = x < 0.0f ? -x : x;
  const v8f s = x * x;
  v8f p = splat8(-5.70498872745e-3f);
  p = p * s + 2.06390887954e-2f;
  p = p * s - 5.37397155531e-2f;
  p = p * s + 1.33314422036e-1f;
  p = p * s - 3.33332819422e-1f;
  const v8f small = p * s * x + x;
  v8f large = 1.0f - 2.0f / (exp8(a + a) + 1.0f);
  large = x < 0.0f ? -large : large;
  return a < 0.625f ? small : large;
}


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

// out[0:n] += a * v[0:n]
inline void axpy(float a, const float* __restrict v, float* __restrict out, long n) {
  for (long j = 0; j < n; ++j) out[j] += a * v[j];
}

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

template <typename V>
__attribute__((always_inline)) inline long rows4_pairs(const Rows4& q, long j) {
  constexpr long L = sizeof(V) / sizeof(float);
  for (; j + 2 * L <= q.N; j += 2 * L) {
    V s00 = {}, s01 = {}, s10 = {}, s11 = {}, s20 = {}, s21 = {}, s30 = {}, s31 = {};
    for (long i = 0; i < q.nk; ++i) {
      const long k = q.ks ? q.ks[i] : i;
      const float v0 = q.a0[k], v1 = q.a1[k], v2 = q.a2[k], v3 = q.a3[k];
      const V m0 = load_v<V>(q.M + k * q.N + j), m1 = load_v<V>(q.M + k * q.N + j + L);
      s00 += v0 * m0;
      s01 += v0 * m1;
      s10 += v1 * m0;
      s11 += v1 * m1;
      s20 += v2 * m0;
      s21 += v2 * m1;
      s30 += v3 * m0;
      s31 += v3 * m1;
    }
    add_store_v(q.c0 + j, s00);
    add_store_v(q.c0 + j + L, s01);
    add_store_v(q.c1 + j, s10);
    add_store_v(q.c1 + j + L, s11);
    add_store_v(q.c2 + j, s20);
    add_store_v(q.c2 + j + L, s21);
    add_store_v(q.c3 + j, s30);
    add_store_v(q.c3 + j + L, s31);
  }
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

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && __GNUC__ >= 12
#define LSTMKIT_AVX512 1
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

// Horizontal sum of the eight lanes.
inline float hsum8(const v8f& v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
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

// out (cols, rows) = in (rows, cols) transposed.
void transpose(const float* __restrict in, float* __restrict out, long rows, long cols) {
  for (long r = 0; r < rows; ++r)
    for (long c = 0; c < cols; ++c) out[c * rows + r] = in[r * cols + c];
}

struct Shape {
  long B, T, D, U;
  long G() const { return 4 * U; }
  // The input row of batch b at step s.
  long x_row(long b, long s, bool backwards) const { return b * T + (backwards ? T - 1 - s : s); }
};

thread_local std::vector<const float*> tl_a_rows;
thread_local std::vector<float*> tl_c_rows;
thread_local std::vector<float> tl_scratch;
thread_local std::vector<float> tl_transposed;

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

}  // namespace

extern "C" {

long lstmkit_forward_workspace_floats(long B, long T, long U) { return T * B * (4 * U + 3 * U); }

// Returns 0, or -1 for an unknown activation code.
int lstmkit_lstm_forward(const float* x, const float* h0, const float* c0, const float* W,
                         const float* R, const float* bias, long B, long T, long D, long U,
                         int activation, int recurrent_activation, int go_backwards,
                         int return_sequences, float* y, float* hT, float* cT, float* ws) {
  const FlushDenormals flush;
  if (activation < 0 || activation >= kActivationCount || recurrent_activation < 0 ||
      recurrent_activation >= kActivationCount)
    return -1;
  const Shape s{B, T, D, U};
  const long G = s.G();
  float* gates = ws;                    // (T, B, 4U)
  float* cs = gates + T * B * G;        // (T, B, U)
  float* acs = cs + T * B * U;          // (T, B, U)
  float* hs = acs + T * B * U;          // (T, B, U)

  // The input projection of every step in one product: gates[s, b] = bias + x[b, t(s)] @ W.
  for (long r = 0; r < T * B; ++r) {
    float* row = gates + r * G;
    if (bias)
      std::memcpy(row, bias, sizeof(float) * G);
    else
      std::memset(row, 0, sizeof(float) * G);
  }
  tl_a_rows.resize(T * B > B ? T * B : B);
  tl_c_rows.resize(T * B > B ? T * B : B);
  for (long st = 0; st < T; ++st)
    for (long b = 0; b < B; ++b) {
      tl_a_rows[st * B + b] = x + s.x_row(b, st, go_backwards) * D;
      tl_c_rows[st * B + b] = gates + (st * B + b) * G;
    }
  gemm_rows(tl_a_rows.data(), W, tl_c_rows.data(), T * B, D, G, true);

  for (long st = 0; st < T; ++st) {
    float* z = gates + st * B * G;
    const float* h_prev = st ? hs + (st - 1) * B * U : h0;
    const float* c_prev = st ? cs + (st - 1) * B * U : c0;
    for (long b = 0; b < B; ++b) {
      tl_a_rows[b] = h_prev + b * U;
      tl_c_rows[b] = z + b * G;
    }
    gemm_rows(tl_a_rows.data(), R, tl_c_rows.data(), B, U, G, true);
    float* c = cs + st * B * U;
    float* ac = acs + st * B * U;
    float* h = hs + st * B * U;
    for (long b = 0; b < B; ++b) {
      float* zb = z + b * G;
      activate(recurrent_activation, zb, 2 * U);
      activate(activation, zb + 2 * U, U);
      activate(recurrent_activation, zb + 3 * U, U);
      const float *i = zb, *f = zb + U, *g = zb + 2 * U, *o = zb + 3 * U;
      const float* cp = c_prev + b * U;
      float* cb = c + b * U;
      float* acb = ac + b * U;
      for (long k = 0; k < U; ++k) acb[k] = cb[k] = f[k] * cp[k] + i[k] * g[k];
      activate(activation, acb, U);
      float* hb = h + b * U;
      for (long k = 0; k < U; ++k) hb[k] = o[k] * acb[k];
    }
  }
  if (return_sequences) {
    for (long b = 0; b < B; ++b)
      for (long st = 0; st < T; ++st)
        std::memcpy(y + (b * T + st) * U, hs + (st * B + b) * U, sizeof(float) * U);
  } else if (y) {
    std::memcpy(y, hs + (T - 1) * B * U, sizeof(float) * B * U);
  }
  std::memcpy(hT, hs + (T - 1) * B * U, sizeof(float) * B * U);
  std::memcpy(cT, cs + (T - 1) * B * U, sizeof(float) * B * U);
  return 0;
}

// The gradients of a loss through lstmkit_lstm_forward, given the workspace it filled.
// dy has y's shape (the gradient of the output); dhT, dcT (B, U) may be null (no gradient).
// Writes (overwrites) dx (B, T, D), dh0, dc0 (B, U), dW (D, 4U), dR (U, 4U) and dbias (4U,);
// dx and dbias may be null when not needed.
int lstmkit_lstm_backward(const float* x, const float* h0, const float* c0, const float* W,
                          const float* R, long B, long T, long D, long U, int activation,
                          int recurrent_activation, int go_backwards, int return_sequences,
                          const float* ws, const float* dy, const float* dhT, const float* dcT,
                          float* dx, float* dh0, float* dc0, float* dW, float* dR, float* dbias) {
  const FlushDenormals flush;
  if (activation < 0 || activation >= kActivationCount || recurrent_activation < 0 ||
      recurrent_activation >= kActivationCount)
    return -1;
  const Shape s{B, T, D, U};
  const long G = s.G();
  const float* gates = ws;
  const float* cs = gates + T * B * G;
  const float* acs = cs + T * B * U;
  const float* hs = acs + T * B * U;

  // Scratch: dz (T, B, 4U), dh and dc carried (B, U) each, one row's derivatives (4U) and
  // act'(c) (U).
  // With eight rows or more, the products with R^T and W^T go through transposed copies and the
  // register-blocked kernel (the copy costs one pass over the weights; the dot-product kernel
  // reads the left operand once per output column).
  const bool transpose_r = B >= 8, transpose_w = dx && T * B >= 8;
  tl_scratch.resize(T * B * G + 2 * B * U + G + U + (transpose_r ? G * U : 0) +
                    (transpose_w ? G * D : 0));
  float* dz_all = tl_scratch.data();
  float* dh = dz_all + T * B * G;
  float* dc = dh + B * U;
  float* dgate = dc + B * U;
  float* dact = dgate + G;
  float* RT = dact + U;                             // (4U, U) when transpose_r
  float* WT = RT + (transpose_r ? G * U : 0);       // (4U, D) when transpose_w
  if (transpose_r) transpose(R, RT, U, G);
  if (transpose_w) transpose(W, WT, D, G);

  if (dhT)
    std::memcpy(dh, dhT, sizeof(float) * B * U);
  else
    std::memset(dh, 0, sizeof(float) * B * U);
  if (dcT)
    std::memcpy(dc, dcT, sizeof(float) * B * U);
  else
    std::memset(dc, 0, sizeof(float) * B * U);
  if (!return_sequences)
    for (long j = 0; j < B * U; ++j) dh[j] += dy[j];

  tl_a_rows.resize(T * B > B ? T * B : B);
  tl_c_rows.resize(T * B > B ? T * B : B);
  for (long st = T - 1; st >= 0; --st) {
    const float* z = gates + st * B * G;
    const float* ac = acs + st * B * U;
    const float* c_prev = st ? cs + (st - 1) * B * U : c0;
    float* dz = dz_all + st * B * G;
    for (long b = 0; b < B; ++b) {
      float* dhb = dh + b * U;
      if (return_sequences) {
        const float* dyb = dy + (b * T + st) * U;
        for (long k = 0; k < U; ++k) dhb[k] += dyb[k];
      }
      const float* zb = z + b * G;
      const float *i = zb, *f = zb + U, *g = zb + 2 * U, *o = zb + 3 * U;
      const float* acb = ac + b * U;
      const float* cp = c_prev + b * U;
      float* dcb = dc + b * U;
      float* dzb = dz + b * G;
      derivative(recurrent_activation, zb, dgate, 2 * U);
      derivative(activation, zb + 2 * U, dgate + 2 * U, U);
      derivative(recurrent_activation, zb + 3 * U, dgate + 3 * U, U);
      derivative(activation, acb, dact, U);
      for (long k = 0; k < U; ++k) {
        const float dcv = dcb[k] + dhb[k] * o[k] * dact[k];
        dzb[k] = dcv * g[k] * dgate[k];
        dzb[U + k] = dcv * cp[k] * dgate[U + k];
        dzb[2 * U + k] = dcv * i[k] * dgate[2 * U + k];
        dzb[3 * U + k] = dhb[k] * acb[k] * dgate[3 * U + k];
        dcb[k] = dcv * f[k];
      }
    }
    // dh_{s-1} = dz_s @ R^T: row k of R is dotted with each row of dz.
    std::memset(dh, 0, sizeof(float) * B * U);
    for (long b = 0; b < B; ++b) {
      tl_a_rows[b] = dz + b * G;
      tl_c_rows[b] = dh + b * U;
    }
    if (transpose_r)
      gemm_rows(tl_a_rows.data(), RT, tl_c_rows.data(), B, G, U, false);
    else
      gemm_rows_nt(tl_a_rows.data(), R, tl_c_rows.data(), B, G, U);
  }
  std::memcpy(dh0, dh, sizeof(float) * B * U);
  std::memcpy(dc0, dc, sizeof(float) * B * U);

  // dR = sum_s h_{s-1}^T dz_s = Hp^T (U, T*B) @ dZ (T*B, 4U), with Hp^T[k, s*B + b] =
  // h_{s-1}[b, k]; dW = X^T (D, T*B) @ dZ likewise, with the inputs in walked order.
  const long TB = T * B;
  tl_transposed.resize((U > D ? U : D) * TB);
  float* t_rows = tl_transposed.data();
  tl_a_rows.resize(U > D ? U : D);
  tl_c_rows.resize(U > D ? U : D);
  std::memset(dR, 0, sizeof(float) * U * G);
  for (long st = 0; st < T; ++st) {
    const float* h_prev = st ? hs + (st - 1) * B * U : h0;
    for (long b = 0; b < B; ++b)
      for (long k = 0; k < U; ++k) t_rows[k * TB + st * B + b] = h_prev[b * U + k];
  }
  for (long k = 0; k < U; ++k) {
    tl_a_rows[k] = t_rows + k * TB;
    tl_c_rows[k] = dR + k * G;
  }
  gemm_rows(tl_a_rows.data(), dz_all, tl_c_rows.data(), U, TB, G, true);
  std::memset(dW, 0, sizeof(float) * D * G);
  for (long st = 0; st < T; ++st)
    for (long b = 0; b < B; ++b) {
      const float* xb = x + s.x_row(b, st, go_backwards) * D;
      for (long d = 0; d < D; ++d) t_rows[d * TB + st * B + b] = xb[d];
    }
  for (long d = 0; d < D; ++d) {
    tl_a_rows[d] = t_rows + d * TB;
    tl_c_rows[d] = dW + d * G;
  }
  gemm_rows(tl_a_rows.data(), dz_all, tl_c_rows.data(), D, TB, G, true);
  if (dbias) {
    std::memset(dbias, 0, sizeof(float) * G);
    for (long r = 0; r < T * B; ++r) axpy(1.0f, dz_all + r * G, dbias, G);
  }
  if (dx) {
    // dx[b, t(s)] = dz_s[b] @ W^T
    tl_a_rows.resize(TB);
    tl_c_rows.resize(TB);
    std::memset(dx, 0, sizeof(float) * B * T * D);
    for (long st = 0; st < T; ++st)
      for (long b = 0; b < B; ++b) {
        tl_a_rows[st * B + b] = dz_all + (st * B + b) * G;
        tl_c_rows[st * B + b] = dx + s.x_row(b, st, go_backwards) * D;
      }
    if (transpose_w)
      gemm_rows(tl_a_rows.data(), WT, tl_c_rows.data(), T * B, G, D, false);
    else
      gemm_rows_nt(tl_a_rows.data(), W, tl_c_rows.data(), T * B, G, D);
  }
  return 0;
}

}  // extern "C"

// -- one whole training step of a stack of LSTM layers and Dense layers, with Adam ---------------
//
// Sequential([LSTM, (Dropout), ..., LSTM, (Dropout), Dense, (Dropout), ..., Dense, (Dropout)]),
// the models of W0, W2, W3 and W4: L >= 1 LSTM layers, all but the last
// returning sequences, then K >= 1 Dense layers, each layer optionally followed by a dropout
// whose multiplier mask (0 or 1 / keep, drawn by the caller from the same random stream as the
// regular step) is given. The model is described by a compact int64 array `spec`:
//
//   spec[0] = L, spec[1] = K, spec[2] = loss code, spec[3] = D (the input's features)
//   per LSTM layer l (5 each):  U_l, activation, recurrent_activation, go_backwards, dropout
//   per Dense layer k (3 each): outputs O_k, activation (an Activation code, or kStackSoftmax),
//                               dropout
//   then the addresses of Adam's moments: m[0..N), v[0..N), N = 3L + 2K weights, in the
//   model's order: per LSTM kernel (D_l, 4U_l), recurrent_kernel (U_l, 4U_l), bias (4U_l);
//   per Dense kernel (I_k, O_k), bias (O_k).
//
// The moments' memory is fixed between calls (so it lives in the spec); the weights', the
// initial and final states' and the masks' is passed at every call.

namespace {

constexpr long kStackSoftmax = kActivationCount;  // the Dense activation code of softmax
// Loss codes (lstmkit.ops.native.STACK_LOSS_CODES).
enum Loss : long {
  kMeanSquaredError = 0,
  kBinaryCrossentropy = 1,
  kCategoricalCrossentropy = 2,
  kMeanAbsoluteError = 3,
  kLossCount = 4
};
constexpr long kStackHeader = 4, kStackLstmInts = 5, kStackDenseInts = 3;

// Softmax of each of the B rows of p (B, O), in place, as torch.softmax: shifted by the row's
// maximum.
void softmax_rows(float* p, long B, long O) {
  for (long r = 0; r < B; ++r) {
    float* pr = p + r * O;
    float top = pr[0];
    for (long o = 1; o < O; ++o) top = pr[o] > top ? pr[o] : top;
    long o = 0;
    for (; o + 8 <= O; o += 8) store8(pr + o, exp8(load8(pr + o) - top));
    for (; o < O; ++o) pr[o] = std::exp(pr[o] - top);
    float sum = 0.0f;
    for (o = 0; o < O; ++o) sum += pr[o];
    for (o = 0; o < O; ++o) pr[o] /= sum;
  }
}

// Per-thread buffers of the stack step, kept between calls (resizing to the same size is free).
struct StackBuffers {
  std::vector<std::vector<float>> ws, out, state, act, dropped;
  std::vector<float> grads, grad_a, grad_b, zeros, dummy;
  std::vector<long> sizes;
  std::vector<float*> gw, moments;
};
thread_local StackBuffers tl_stack;

}  // namespace

extern "C" {

// Checks spec; returns null when it is well formed, else what is wrong (a static string).
const char* lstmkit_stack_check(const long long* spec) {
  const long long L = spec[0], K = spec[1];
  if (L < 1 || L > 64 || K < 1 || K > 64) return "spec: the layer counts must be in [1, 64]";
  if (spec[2] < 0 || spec[2] >= kLossCount) return "spec: unknown loss code";
  if (spec[3] < 1) return "spec: the input's features must be positive";
  const long long* p = spec + kStackHeader;
  for (long long l = 0; l < L; ++l, p += kStackLstmInts) {
    if (p[0] < 1) return "spec: an LSTM layer's units must be positive";
    if (p[1] < 0 || p[1] >= kActivationCount || p[2] < 0 || p[2] >= kActivationCount)
      return "spec: unknown LSTM activation code";
  }
  for (long long k = 0; k < K; ++k, p += kStackDenseInts) {
    if (p[0] < 1) return "spec: a Dense layer's outputs must be positive";
    if (p[1] < 0 || p[1] > kStackSoftmax) return "spec: unknown Dense activation code";
  }
  return nullptr;
}

// How many mask pointers a call with this spec takes (one per layer followed by a dropout).
long lstmkit_stack_masks(const long long* spec) {
  long count = 0;
  for (long long l = 0; l < spec[0]; ++l) count += spec[kStackHeader + l * kStackLstmInts + 4] != 0;
  const long long* dense = spec + kStackHeader + spec[0] * kStackLstmInts;
  for (long long k = 0; k < spec[1]; ++k) count += dense[k * kStackDenseInts + 2] != 0;
  return count;
}


// One training step of the described stack on x (B, T, D), targets y (B, O_last); returns 0 and
// the batch's mean loss in *loss_out, or -1 for a malformed spec. states holds 4 pointers per
// LSTM layer: h0, c0 (B, U_l) to start from (null: zeros) and hT, cT (B, U_l) to receive the
// final state (null: not kept). weights holds the 3L + 2K weight pointers, masks one (B, T, U_l)
// mask per returning-sequences LSTM followed by a dropout, (B, U_l) for the last LSTM, (B, O_k)
// per Dense, in layer order. prediction_out (B, O_last), when not null, receives the output.
}  // extern "C"

namespace {

// Forward, loss and backward of rows [0, B) of a batch of B_total rows (the loss is the mean over
// B_total): the gradients of every weight into this thread's buf.grads (laid out as the weights,
// one after the other), the sum of the rows' losses into *sum_loss_out, the rows' output into
// prediction_out when not null, and the rows' final states where states asks for them. Pointers
// are to the part's own first row. No weight is written.
void stack_part(const long long* spec, const float* x, const float* y, long B, long B_total,
                long T, float* const* states, float* const* weights, const float* const* masks,
                float* prediction_out, double* sum_loss_out, float** grads_out) {
  const FlushDenormals flush;
  const long L = long(spec[0]), K = long(spec[1]), loss = long(spec[2]);
  const long long* lspec = spec + kStackHeader;
  const long long* dspec = lspec + L * kStackLstmInts;
  const long N = 3 * L + 2 * K;
  StackBuffers& buf = tl_stack;
  auto units = [&](long l) { return long(lspec[l * kStackLstmInts]); };
  auto in_dim = [&](long l) { return l ? units(l - 1) : long(spec[3]); };
  auto outputs = [&](long k) { return long(dspec[k * kStackDenseInts]); };
  auto dense_in = [&](long k) { return k ? outputs(k - 1) : units(L - 1); };

  // Sizes: each weight's floats, and the largest activation (for the gradient buffers).
  std::vector<long>& sizes = buf.sizes;
  sizes.assign(N, 0);
  long total = 0, widest = 0, max_units = 0;
  for (long l = 0; l < L; ++l) {
    const long U = units(l), D = in_dim(l);
    sizes[3 * l] = D * 4 * U;
    sizes[3 * l + 1] = U * 4 * U;
    sizes[3 * l + 2] = 4 * U;
    widest = std::max(widest, B * T * U);
    max_units = std::max(max_units, U);
  }
  for (long k = 0; k < K; ++k) {
    sizes[3 * L + 2 * k] = dense_in(k) * outputs(k);
    sizes[3 * L + 2 * k + 1] = outputs(k);
    widest = std::max(widest, B * outputs(k));
  }
  for (long i = 0; i < N; ++i) total += sizes[i];

  buf.ws.resize(L);
  buf.out.resize(L);
  buf.state.resize(L);
  buf.act.resize(K);
  buf.dropped.resize(K);
  buf.grads.resize(total);
  buf.grad_a.resize(widest);
  buf.grad_b.resize(widest);
  buf.zeros.assign(B * max_units, 0.0f);
  buf.dummy.resize(2 * B * max_units);

  // Forward through the LSTM layers; a dropout multiplies the output in place (the layer's own
  // backward reads its workspace, not its output; the next layer reads the dropped output).
  const float* const* mask = masks;
  const float* a = x;
  for (long l = 0; l < L; ++l) {
    const long long* ls = lspec + l * kStackLstmInts;
    const long U = units(l), D = in_dim(l);
    const bool sequences = l + 1 < L;
    buf.ws[l].resize(lstmkit_forward_workspace_floats(B, T, U));
    buf.out[l].resize(sequences ? B * T * U : B * U);
    buf.state[l].resize(2 * B * U);
    const float* h0 = states[4 * l] ? states[4 * l] : buf.zeros.data();
    const float* c0 = states[4 * l + 1] ? states[4 * l + 1] : buf.zeros.data();
    float* out = buf.out[l].data();
    lstmkit_lstm_forward(a, h0, c0, weights[3 * l], weights[3 * l + 1], weights[3 * l + 2], B, T,
                         D, U, int(ls[1]), int(ls[2]), int(ls[3]), sequences, out,
                         buf.state[l].data(), buf.state[l].data() + B * U, buf.ws[l].data());
    if (ls[4]) {
      const float* mk = *mask++;
      for (long j = 0, n = long(buf.out[l].size()); j < n; ++j) out[j] *= mk[j];
    }
    a = out;
  }
  // Forward through the Dense layers: act[k] = activation(a @ W + b), dropped[k] its dropout.
  for (long k = 0; k < K; ++k) {
    const long I = dense_in(k), O = outputs(k), act = long(dspec[k * kStackDenseInts + 1]);
    const float* W = weights[3 * L + 2 * k];
    const float* b = weights[3 * L + 2 * k + 1];
    buf.act[k].resize(B * O);
    float* z = buf.act[k].data();
    for (long r = 0; r < B; ++r) std::memcpy(z + r * O, b, sizeof(float) * O);
    tl_a_rows.resize(std::max(B, I));
    tl_c_rows.resize(std::max(B, I));
    for (long r = 0; r < B; ++r) {
      tl_a_rows[r] = a + r * I;
      tl_c_rows[r] = z + r * O;
    }
    gemm_rows(tl_a_rows.data(), W, tl_c_rows.data(), B, I, O, true);
    if (act == kStackSoftmax)
      softmax_rows(z, B, O);
    else
      activate(int(act), z, B * O);
    if (dspec[k * kStackDenseInts + 2]) {
      const float* mk = *mask++;
      buf.dropped[k].resize(B * O);
      float* d = buf.dropped[k].data();
      for (long j = 0; j < B * O; ++j) d[j] = z[j] * mk[j];
      a = d;
    } else {
      a = z;
    }
  }
  const long O = outputs(K - 1);
  const float* p = a;  // (B, O): the model's output
  if (prediction_out) std::memcpy(prediction_out, p, sizeof(float) * B * O);

  // The loss and its gradient with respect to the output, as lstmkit.losses computes them
  // (clipping to [eps, 1 - eps] with eps = 1e-7 passes no gradient outside the interval).
  const float eps = 1e-7f;
  double sum_loss = 0.0;
  float* g = buf.grad_a.data();  // the gradient flowing backwards, ping-ponged with grad_b
  float* spare = buf.grad_b.data();
  for (long r = 0; r < B; ++r) {
    const float* pr = p + r * O;
    const float* yr = y + r * O;
    float* gr = g + r * O;
    if (loss == kMeanSquaredError) {
      for (long o = 0; o < O; ++o) {
        const float e = pr[o] - yr[o];
        sum_loss += double(e) * e / O;
        gr[o] = 2.0f * e / float(B_total * O);
      }
    } else if (loss == kMeanAbsoluteError) {
      for (long o = 0; o < O; ++o) {
        const float e = pr[o] - yr[o];
        sum_loss += std::fabs(double(e)) / O;
        // torch's derivative of abs is sign: 0 at 0.
        gr[o] = (e > 0.0f ? 1.0f : e < 0.0f ? -1.0f : 0.0f) / float(B_total * O);
      }
    } else if (loss == kBinaryCrossentropy) {
      for (long o = 0; o < O; ++o) {
        const float pc = std::fmin(std::fmax(pr[o], eps), 1.0f - eps);
        sum_loss -= (yr[o] * std::log(pc) + (1.0f - yr[o]) * std::log(1.0f - pc)) / O;
        const bool inside = pr[o] >= eps && pr[o] <= 1.0f - eps;
        gr[o] = inside ? (pc - yr[o]) / (pc * (1.0f - pc)) / float(B_total * O) : 0.0f;
      }
    } else {  // kCategoricalCrossentropy: p / sum(p), clipped
      float sum = 0.0f;
      for (long o = 0; o < O; ++o) sum += pr[o];
      float dot = 0.0f;
      for (long o = 0; o < O; ++o) {
        const float n = pr[o] / sum;
        const float nc = std::fmin(std::fmax(n, eps), 1.0f - eps);
        sum_loss -= yr[o] * std::log(nc);
        gr[o] = (n >= eps && n <= 1.0f - eps) ? -yr[o] / nc / float(B_total) : 0.0f;
        dot += gr[o] * n;
      }
      for (long o = 0; o < O; ++o) gr[o] = (gr[o] - dot) / sum;
    }
  }

  // Backward through the Dense layers, last first: g is the gradient of the layer's (dropped)
  // output; through the dropout, the activation, then the weights and the input.
  float* grads = buf.grads.data();
  std::vector<float*>& gw = buf.gw;
  gw.resize(N);
  for (long i = 0, offset = 0; i < N; offset += sizes[i], ++i) gw[i] = grads + offset;
  // The masks again, from the last: the pointer past the last one used.
  const float* const* back_mask = mask;
  for (long k = K - 1; k >= 0; --k) {
    const long I = dense_in(k), Ok = outputs(k), act = long(dspec[k * kStackDenseInts + 1]);
    const float* z = buf.act[k].data();
    if (dspec[k * kStackDenseInts + 2]) {
      const float* mk = *--back_mask;
      for (long j = 0; j < B * Ok; ++j) g[j] *= mk[j];
    }
    if (act == kStackSoftmax) {
      for (long r = 0; r < B; ++r) {
        float* gr = g + r * Ok;
        const float* zr = z + r * Ok;
        float dot = 0.0f;
        for (long o = 0; o < Ok; ++o) dot += gr[o] * zr[o];
        for (long o = 0; o < Ok; ++o) gr[o] = zr[o] * (gr[o] - dot);
      }
    } else if (act != kLinear) {
      derivative(int(act), z, spare, B * Ok);
      for (long j = 0; j < B * Ok; ++j) g[j] *= spare[j];
    }
    // The layer's input: the previous Dense's (dropped) output, or the last LSTM's.
    const float* in = k ? (dspec[(k - 1) * kStackDenseInts + 2] ? buf.dropped[k - 1].data()
                                                                : buf.act[k - 1].data())
                        : buf.out[L - 1].data();
    float* dW = gw[3 * L + 2 * k];
    float* db = gw[3 * L + 2 * k + 1];
    std::memset(dW, 0, sizeof(float) * I * Ok);
    std::memset(db, 0, sizeof(float) * Ok);
    for (long r = 0; r < B; ++r) axpy(1.0f, g + r * Ok, db, Ok);
    // dW = in^T (I, B) @ g (B, Ok), through a transposed copy of the input.
    tl_transposed.resize(I * B);
    float* in_t = tl_transposed.data();
    for (long r = 0; r < B; ++r)
      for (long i = 0; i < I; ++i) in_t[i * B + r] = in[r * I + i];
    tl_a_rows.resize(std::max(B, I));
    tl_c_rows.resize(std::max(B, I));
    for (long i = 0; i < I; ++i) {
      tl_a_rows[i] = in_t + i * B;
      tl_c_rows[i] = dW + i * Ok;
    }
    gemm_rows(tl_a_rows.data(), g, tl_c_rows.data(), I, B, Ok, true);
    // d input = g @ W^T (row i of W dotted with each row of g).
    std::memset(spare, 0, sizeof(float) * B * I);
    for (long r = 0; r < B; ++r) {
      tl_a_rows[r] = g + r * Ok;
      tl_c_rows[r] = spare + r * I;
    }
    gemm_rows_nt(tl_a_rows.data(), weights[3 * L + 2 * k], tl_c_rows.data(), B, Ok, I);
    std::swap(g, spare);
  }

  // Backward through the LSTM layers, last first: g is the gradient of the layer's dropped
  // output, (B, U) for the last and (B, T, U) for the others.
  for (long l = L - 1; l >= 0; --l) {
    const long long* ls = lspec + l * kStackLstmInts;
    const long U = units(l), D = in_dim(l);
    const bool sequences = l + 1 < L;
    if (ls[4]) {
      const float* mk = *--back_mask;
      for (long j = 0, n = sequences ? B * T * U : B * U; j < n; ++j) g[j] *= mk[j];
    }
    const float* in = l ? buf.out[l - 1].data() : x;
    const float* h0 = states[4 * l] ? states[4 * l] : buf.zeros.data();
    const float* c0 = states[4 * l + 1] ? states[4 * l + 1] : buf.zeros.data();
    lstmkit_lstm_backward(in, h0, c0, weights[3 * l], weights[3 * l + 1], B, T, D, U, int(ls[1]),
                          int(ls[2]), int(ls[3]), sequences, buf.ws[l].data(), g, nullptr,
                          nullptr, l ? spare : nullptr, buf.dummy.data(),
                          buf.dummy.data() + B * U, gw[3 * l], gw[3 * l + 1], gw[3 * l + 2]);
    std::swap(g, spare);
  }

  // The final states last: an initial state given as the final one's memory is read until here.
  for (long l = 0; l < L; ++l) {
    const long U = units(l);
    if (states[4 * l + 2])
      std::memcpy(states[4 * l + 2], buf.state[l].data(), sizeof(float) * B * U);
    if (states[4 * l + 3])
      std::memcpy(states[4 * l + 3], buf.state[l].data() + B * U, sizeof(float) * B * U);
  }
  *sum_loss_out = sum_loss;
  *grads_out = grads;
}

// A second thread for the stack step, kept between calls: run_pair runs one job on it and one on
// the caller's thread and returns when both are done. Its thread_local buffers persist like the
// caller's. A process forked after it started has no such thread: a new one is made there.
class PairRunner {
 public:
  void run_pair(const std::function<void()>& mine, const std::function<void()>& theirs) {
    ensure_started();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &theirs;
      done_ = false;
    }
    wake_.notify_one();
    mine();
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return done_; });
  }

 private:
  void ensure_started() {
    const pid_t pid = getpid();
    if (started_ && pid == pid_) return;
    started_ = true;
    pid_ = pid;
    std::thread([this] { loop(); }).detach();
  }

  void loop() {
    const pid_t pid = getpid();
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return job_ != nullptr; });
      if (pid != pid_) return;  // a thread of an earlier process image cannot exist; defensive
      const std::function<void()>* job = job_;
      job_ = nullptr;
      lock.unlock();
      (*job)();
      lock.lock();
      done_ = true;
      lock.unlock();
      finished_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const std::function<void()>* job_ = nullptr;
  bool done_ = false, started_ = false;
  pid_t pid_ = 0;
};

PairRunner* pair_runner() {
  // Never destroyed: the detached thread may outlive static destruction at exit.
  static PairRunner* runner = new PairRunner();
  return runner;
}

// Threads the stack step may use (set_threads; lstmkit passes torch's thread count).
long g_stack_threads = 1;

// Rows below which a batch is not split: two threads pay a wake-up (tens of microseconds).
constexpr long kMinRowsPerThread = 8;
constexpr long kMinWorkToSplit = 200000;  // B * T * sum over LSTMs of U * (D + U)

}  // namespace

extern "C" {

void lstmkit_set_threads(long threads) { g_stack_threads = threads < 1 ? 1 : threads; }

// One training step of the described stack on x (B, T, D), targets y (B, O_last); returns 0 and
// the batch's mean loss in *loss_out, or -1 for a malformed spec. states holds 4 pointers per
// LSTM layer: h0, c0 (B, U_l) to start from (null: zeros) and hT, cT (B, U_l) to receive the
// final state (null: not kept). weights holds the 3L + 2K weight pointers, masks one (B, T, U_l)
// mask per returning-sequences LSTM followed by a dropout, (B, U_l) for the last LSTM, (B, O_k)
// per Dense, in layer order. prediction_out (B, O_last), when not null, receives the output.
// With two threads allowed and enough work, the rows are split in two halves computed at once;
// their gradients are summed (in a fixed order, so a run is reproducible) before one Adam update.
int lstmkit_stack_train_step(const long long* spec, const float* x, const float* y, long B,
                             long T, float* const* states, float* const* weights,
                             const float* const* masks, double learning_rate, double beta_1,
                             double beta_2, double epsilon, long iteration,
                             float* prediction_out, float* loss_out) {
  const FlushDenormals flush;
  if (lstmkit_stack_check(spec)) return -1;
  const long L = long(spec[0]), K = long(spec[1]);
  const long long* lspec = spec + kStackHeader;
  const long long* dspec = lspec + L * kStackLstmInts;
  const long N = 3 * L + 2 * K;
  auto units = [&](long l) { return long(lspec[l * kStackLstmInts]); };
  auto in_dim = [&](long l) { return l ? units(l - 1) : long(spec[3]); };
  auto outputs = [&](long k) { return long(dspec[k * kStackDenseInts]); };
  auto dense_in = [&](long k) { return k ? outputs(k - 1) : units(L - 1); };
  thread_local std::vector<long> sizes;
  thread_local std::vector<float*> moments;
  sizes.assign(N, 0);
  long work = 0;
  for (long l = 0; l < L; ++l) {
    const long U = units(l), D = in_dim(l);
    sizes[3 * l] = D * 4 * U;
    sizes[3 * l + 1] = U * 4 * U;
    sizes[3 * l + 2] = 4 * U;
    work += B * T * U * (D + U);
  }
  for (long k = 0; k < K; ++k) {
    sizes[3 * L + 2 * k] = dense_in(k) * outputs(k);
    sizes[3 * L + 2 * k + 1] = outputs(k);
  }
  long total = 0;
  for (long i = 0; i < N; ++i) total += sizes[i];
  // The moments' addresses, stored as integers after the layers.
  const long long* moment_ints = dspec + K * kStackDenseInts;
  moments.resize(2 * N);
  for (long i = 0; i < 2 * N; ++i)
    moments[i] = reinterpret_cast<float*>(static_cast<std::uintptr_t>(moment_ints[i]));
  float* const* m = moments.data();
  float* const* v = m + N;

  double sum_loss = 0.0;
  float* grads = nullptr;
  const bool split = g_stack_threads >= 2 && B >= 2 * kMinRowsPerThread && work >= kMinWorkToSplit;
  if (!split) {
    stack_part(spec, x, y, B, B, T, states, weights, masks, prediction_out, &sum_loss, &grads);
  } else {
    // Rows [0, B0) here, [B0, B) on the second thread: every per-row pointer moves by B0 rows.
    const long B0 = B / 2, B1 = B - B0;
    const long D = long(spec[3]), O = outputs(K - 1);
    thread_local std::vector<float*> states1;
    thread_local std::vector<const float*> masks1;
    states1.assign(4 * L, nullptr);
    for (long l = 0; l < L; ++l)
      for (int j = 0; j < 4; ++j)
        if (states[4 * l + j]) states1[4 * l + j] = states[4 * l + j] + B0 * units(l);
    masks1.clear();
    const float* const* mask = masks;
    for (long l = 0; l < L; ++l)
      if (lspec[l * kStackLstmInts + 4])
        masks1.push_back(*mask++ + B0 * (l + 1 < L ? T : 1) * units(l));
    for (long k = 0; k < K; ++k)
      if (dspec[k * kStackDenseInts + 2]) masks1.push_back(*mask++ + B0 * outputs(k));
    // Named thread_local variables in a lambda are the running thread's own: hand the second
    // thread plain pointers to this thread's.
    float* const* states_second = states1.data();
    const float* const* masks_second = masks1.data();
    double sum1 = 0.0;
    float* grads1 = nullptr;
    const std::function<void()> first = [&] {
      stack_part(spec, x, y, B0, B, T, states, weights, masks, prediction_out, &sum_loss, &grads);
    };
    const std::function<void()> second = [&] {
      stack_part(spec, x + B0 * T * D, y + B0 * O, B1, B, T, states_second, weights,
                 masks_second, prediction_out ? prediction_out + B0 * O : nullptr, &sum1,
                 &grads1);
    };
    pair_runner()->run_pair(first, second);
    for (long i = 0; i < total; ++i) grads[i] += grads1[i];
    sum_loss += sum1;
  }

  // Keras's Adam, weight by weight, with lstmkit's float32 constants.
  const float alpha = float(learning_rate * std::sqrt(1.0 - std::pow(beta_2, double(iteration))) /
                            (1.0 - std::pow(beta_1, double(iteration))));
  for (long i = 0, offset = 0; i < N; offset += sizes[i], ++i)
    adam(weights[i], m[i], v[i], grads + offset, sizes[i], alpha, float(1.0 - beta_1),
         float(beta_2), float(1.0 - beta_2), float(epsilon));
  *loss_out = float(sum_loss / B);
  return 0;
}

}  // extern "C"

// -- the CPython module ------------------------------------------------------------------------

namespace {

// Reads nargs integer arguments (pointers as data_ptr() integers, 0 for null) into out.
bool read_ints(PyObject* const* args, Py_ssize_t nargs, Py_ssize_t expected, const char* name,
               long long* out) {
  if (nargs != expected) {
    PyErr_Format(PyExc_TypeError, "%s expects %zd integer arguments; got %zd", name, expected,
                 nargs);
    return false;
  }
  for (Py_ssize_t i = 0; i < nargs; ++i) {
    out[i] = PyLong_AsLongLong(args[i]);
    if (out[i] == -1 && PyErr_Occurred()) return false;
  }
  return true;
}

template <typename T>
T* ptr(long long v) {
  return reinterpret_cast<T*>(static_cast<std::uintptr_t>(v));
}

PyObject* py_forward(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  long long a[18];
  if (!read_ints(args, nargs, 18, "forward", a)) return nullptr;
  int rc = lstmkit_lstm_forward(ptr<const float>(a[0]), ptr<const float>(a[1]),
                                ptr<const float>(a[2]), ptr<const float>(a[3]),
                                ptr<const float>(a[4]), ptr<const float>(a[5]), a[6], a[7], a[8],
                                a[9], int(a[10]), int(a[11]), int(a[12]), int(a[13]),
                                ptr<float>(a[14]), ptr<float>(a[15]), ptr<float>(a[16]),
                                ptr<float>(a[17]));
  if (rc) {
    PyErr_Format(PyExc_ValueError, "unknown activation code: activation=%lld, recurrent=%lld",
                 a[10], a[11]);
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyObject* py_backward(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  long long a[23];
  if (!read_ints(args, nargs, 23, "backward", a)) return nullptr;
  int rc = lstmkit_lstm_backward(
      ptr<const float>(a[0]), ptr<const float>(a[1]), ptr<const float>(a[2]),
      ptr<const float>(a[3]), ptr<const float>(a[4]), a[5], a[6], a[7], a[8], int(a[9]),
      int(a[10]), int(a[11]), int(a[12]), ptr<const float>(a[13]), ptr<const float>(a[14]),
      ptr<const float>(a[15]), ptr<const float>(a[16]), ptr<float>(a[17]), ptr<float>(a[18]),
      ptr<float>(a[19]), ptr<float>(a[20]), ptr<float>(a[21]), ptr<float>(a[22]));
  if (rc) {
    PyErr_Format(PyExc_ValueError, "unknown activation code: activation=%lld, recurrent=%lld",
                 a[9], a[10]);
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyObject* py_workspace_floats(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  long long a[3];
  if (!read_ints(args, nargs, 3, "forward_workspace_floats", a)) return nullptr;
  return PyLong_FromLong(lstmkit_forward_workspace_floats(a[0], a[1], a[2]));
}

PyObject* py_stack_train_step(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  // spec, x, y, prediction (pointers), B, T, iteration, then learning_rate, beta_1, beta_2,
  // epsilon (floats), then 4 state pointers per LSTM layer, the 3L + 2K weight pointers and
  // one mask pointer per dropout, in layer order.
  constexpr Py_ssize_t kFixed = 11;
  if (nargs < kFixed) {
    PyErr_Format(PyExc_TypeError, "stack_train_step expects at least %zd arguments; got %zd",
                 kFixed, nargs);
    return nullptr;
  }
  long long a[7];
  for (int i = 0; i < 7; ++i) {
    a[i] = PyLong_AsLongLong(args[i]);
    if (a[i] == -1 && PyErr_Occurred()) return nullptr;
  }
  double f[4];
  for (int i = 0; i < 4; ++i) {
    f[i] = PyFloat_AsDouble(args[7 + i]);
    if (f[i] == -1.0 && PyErr_Occurred()) return nullptr;
  }
  const long long* spec = ptr<const long long>(a[0]);
  if (!spec || !a[1] || !a[2]) {
    PyErr_SetString(PyExc_ValueError, "stack_train_step: spec, x and y must not be null");
    return nullptr;
  }
  if (a[4] < 1 || a[5] < 1) {
    PyErr_Format(PyExc_ValueError, "stack_train_step: B and T must be positive; got B=%lld, T=%lld",
                 a[4], a[5]);
    return nullptr;
  }
  if (const char* problem = lstmkit_stack_check(spec)) {
    PyErr_Format(PyExc_ValueError, "stack_train_step: %s", problem);
    return nullptr;
  }
  const long L = long(spec[0]), K = long(spec[1]);
  const Py_ssize_t expected = kFixed + 4 * L + 3 * L + 2 * K + lstmkit_stack_masks(spec);
  if (nargs != expected) {
    PyErr_Format(PyExc_TypeError,
                 "stack_train_step expects %zd arguments for %ld LSTM and %ld Dense layers; "
                 "got %zd",
                 expected, L, K, nargs);
    return nullptr;
  }
  thread_local std::vector<float*> pointers;
  pointers.resize(nargs - kFixed);
  for (Py_ssize_t i = kFixed; i < nargs; ++i) {
    const long long value = PyLong_AsLongLong(args[i]);
    if (value == -1 && PyErr_Occurred()) return nullptr;
    pointers[i - kFixed] = ptr<float>(value);
  }
  float* const* states = pointers.data();
  float* const* weights = states + 4 * L;
  const float* const* masks = weights + 3 * L + 2 * K;
  for (long i = 0; i < 3 * L + 2 * K; ++i)
    if (!weights[i]) {
      PyErr_Format(PyExc_ValueError, "stack_train_step: weight %ld is null", i);
      return nullptr;
    }
  for (long i = 0; i < lstmkit_stack_masks(spec); ++i)
    if (!masks[i]) {
      PyErr_Format(PyExc_ValueError, "stack_train_step: mask %ld is null", i);
      return nullptr;
    }
  float loss = 0.0f;
  lstmkit_stack_train_step(spec, ptr<const float>(a[1]), ptr<const float>(a[2]), long(a[4]),
                           long(a[5]), states, weights, masks, f[0], f[1], f[2], f[3],
                           long(a[6]), ptr<float>(a[3]), &loss);
  return PyFloat_FromDouble(loss);
}

PyObject* py_set_avx512(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  long long a[1];
  if (!read_ints(args, nargs, 1, "set_avx512", a)) return nullptr;
  g_avx512_allowed = a[0] != 0;
  return PyBool_FromLong(avx512_available());
}

PyObject* py_set_threads(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  long long a[1];
  if (!read_ints(args, nargs, 1, "set_threads", a)) return nullptr;
  lstmkit_set_threads(long(a[0]));
  Py_RETURN_NONE;
}

PyObject* py_stack_spec_ints(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  long long a[2];
  if (!read_ints(args, nargs, 2, "stack_spec_ints", a)) return nullptr;
  return PyLong_FromLongLong(kStackHeader + a[0] * kStackLstmInts + a[1] * kStackDenseInts +
                             2 * (3 * a[0] + 2 * a[1]));
}

PyMethodDef kMethods[] = {
    {"forward", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_forward)),
     METH_FASTCALL,
     "forward(x, h0, c0, kernel, recurrent_kernel, bias, B, T, D, U, activation, "
     "recurrent_activation, go_backwards, return_sequences, y, hT, cT, workspace): pointers as "
     "integers (0 for none)."},
    {"backward", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_backward)),
     METH_FASTCALL,
     "backward(x, h0, c0, kernel, recurrent_kernel, B, T, D, U, activation, "
     "recurrent_activation, go_backwards, return_sequences, workspace, dy, dhT, dcT, dx, dh0, "
     "dc0, dkernel, drecurrent_kernel, dbias)."},
    {"forward_workspace_floats",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_workspace_floats)),
     METH_FASTCALL, "forward_workspace_floats(B, T, U): floats the forward keeps for backward."},
    {"set_avx512", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_set_avx512)),
     METH_FASTCALL,
     "set_avx512(allowed) -> whether the CPU has AVX-512 (allowed = 0: the portable kernel)."},
    {"set_threads", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_set_threads)),
     METH_FASTCALL,
     "set_threads(n): threads the stack step may use (a batch is split in two from n = 2)."},
    {"stack_train_step",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_stack_train_step)),
     METH_FASTCALL,
     "stack_train_step(spec, x, y, prediction_out, B, T, iteration, learning_rate, beta_1, "
     "beta_2, epsilon, *states, *weights, *masks) -> mean loss; see lstmkit_stack_train_step."},
    {"stack_spec_ints",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_stack_spec_ints)),
     METH_FASTCALL, "stack_spec_ints(L, K): the length of stack_train_step's spec array."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {PyModuleDef_HEAD_INIT, "_lstm",
                       "Native LSTM forward and backward through time (see lstmkit.ops.native).",
                       -1, kMethods};

}  // namespace

PyMODINIT_FUNC PyInit__lstm(void) { return PyModule_Create(&kModule); }
