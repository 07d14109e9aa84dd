// Eight floats in one vector register (two SSE registers in the baseline clone), and the
// arithmetic on them the kernels share: exp, sigmoid and tanh on eight lanes, a horizontal sum.
//
// Everything here is in an unnamed namespace on purpose: each translation unit gets its own
// internal copy, inlined into its loops and compiled for the instruction set of the function it
// lands in (the AVX2/FMA clone or the baseline one). That is how the kernel was compiled as one
// file, so the same multiply-adds are contracted into FMAs (-ffp-contract=fast) and the results
// keep the same bits.

#ifndef LSTMKIT_NATIVE_VEC8_H_
#define LSTMKIT_NATIVE_VEC8_H_

#include <cstring>

// Loads and stores go through memcpy, so no alignment is assumed. The helpers are always
// inlined, so the calling convention of a 32-byte vector (GCC's -Wpsabi note) never applies.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace {

typedef float v8f __attribute__((vector_size(32)));

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

// Horizontal sum of the eight lanes.
inline float hsum8(const v8f& v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

// out[0:n] += a * v[0:n]
inline void axpy(float a, const float* __restrict v, float* __restrict out, long n) {
  for (long j = 0; j < n; ++j) out[j] += a * v[j];
}

}  // namespace

#endif  // LSTMKIT_NATIVE_VEC8_H_
