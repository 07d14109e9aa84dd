// lstmkit's native LSTM kernel: what its translation units share. The extension
// lstmkit._native._lstm is built from
//   kernels.cpp     activations, their derivatives, the matrix products and Adam: the hot loops,
//                   each with AVX2/FMA clones chosen at load time (and an AVX-512 product)
//   recurrent.cpp   one LSTM layer's forward over a whole sequence and its backward through time
//   stack_step.cpp  one whole training step of an LSTM/Dense/Dropout stack with Adam
//   module.cpp      the CPython module: argument parsing and the method table
// with this header (the declarations they share) and vec8.h (the eight-lane vector arithmetic,
// always inlined into the loops that use it).
//
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
// within one float32 rounding of torch's). Everything runs on the calling thread (the stack step
// may use one more).
//
// The module is a CPython extension with METH_FASTCALL entry points taking pointers as integers
// (tensor.data_ptr()), the cheapest call CPython offers; the same functions are exported with C
// linkage for ctypes (the extern "C" block below). Everything else is hidden in the namespace
// lstmkit_native, so the shared object exports what it did as one file.

#ifndef LSTMKIT_NATIVE_LSTM_H_
#define LSTMKIT_NATIVE_LSTM_H_

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

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

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && __GNUC__ >= 12
#define LSTMKIT_AVX512 1
#endif

#if defined(__GNUC__)
#define LSTMKIT_HIDDEN __attribute__((visibility("hidden")))
#else
#define LSTMKIT_HIDDEN
#endif

namespace lstmkit_native LSTMKIT_HIDDEN {

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

// The activation codes (lstmkit.ops.native.ACTIVATION_CODES).
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

// The stack step's spec (see stack_step.cpp): its header and per-layer lengths in int64s.
constexpr long kStackHeader = 5, kStackLstmInts = 5, kStackDenseInts = 3;

// -- kernels.cpp ------------------------------------------------------------------------------

// v = activation(v), in place, n elements.
void activate(int activation, float* __restrict v, long n);

// activate, for the grouped layer's long rows (stack_step.cpp's groups): tanh and sigmoid on
// sixteen lanes where the CPU has AVX-512 (the same arithmetic per lane as activate's eight).
void activate_wide(int activation, float* __restrict v, long n);

// d = activation'(x) written from y = activation(x), n elements.
void derivative(int activation, const float* __restrict y, float* __restrict d, long n);

// C[r, :] += A[r, :] @ M for the rows r of a (rows, K) x (K, N) product, where row r of A is at
// a_rows[r] and row r of C at c_rows[r]; with skip_zeros, the k where a block of rows of A is
// all zero are left out. The AVX-512 kernel where the CPU has it (and set_avx512 allows it),
// else the portable one; both give the same bits.
void gemm_rows(const float* const* a_rows, const float* __restrict M, float* const* c_rows,
               long rows, long K, long N, bool skip_zeros);

// C[r, n] += sum_k A[r, k] * M[n, k]: a product with M (N, K) row-major, transposed.
void gemm_rows_nt(const float* const* a_rows, const float* __restrict M, float* const* c_rows,
                  long rows, long K, long N);

// One diagonal block of a block-diagonal product (the ensemble's side-by-side networks, see
// stack_step.cpp's groups): for q < chunks and j < N,
//   C[r][c_off + q * chunk_stride + j] += sum_i A[r][a_off + k_i] * M[k_i * ldm + q * chunk_stride + j]
// over k_i = ks[i] (i < K) when ks is given, else k_i = i (i < K), where with skip_zeros the k
// where a block of four rows of A is all zero are left out. The C and M columns of a block may
// come in several chunks (an LSTM's four gates) at the same stride. Sums in its own order: not
// bit-for-bit gemm_rows's.
void gemm_rows_block(const float* const* a_rows, long a_off, const float* __restrict M, long ldm,
                     float* const* c_rows, long c_off, long rows, long K, const long* ks, long N,
                     long chunks, long chunk_stride, bool skip_zeros);

// One row of an LSTM's backward through one step, U units: from the gates z (4U) after their
// activations, act(c) ac (U), the previous cell c_prev (U), the gates' derivatives dgate (4U),
// act'(c) dact (U) and the gradient of the output dh (U): the gates' gradient dz (4U), and
// dc (U) carried one step back, in place. The grouped layer's (recurrent.cpp): vectorised, so
// its rounding may differ from the plain layer's scalar loop by fused multiply-adds.
void lstm_cell_backward(const float* __restrict z, const float* __restrict ac,
                        const float* __restrict c_prev, const float* __restrict dgate,
                        const float* __restrict dact, const float* __restrict dh,
                        float* __restrict dc, float* __restrict dz, long U);

// lstm_cell_backward for tanh and sigmoid (Keras's default pair), their derivatives taken from
// the outputs on the way (tanh' = 1 - y^2, sigmoid' = y (1 - y)) instead of from dgate, dact.
void lstm_cell_backward_tanh_sigmoid(const float* __restrict z, const float* __restrict ac,
                                     const float* __restrict c_prev, const float* __restrict dh,
                                     float* __restrict dc, float* __restrict dz, long U);

// out[0:n] += the sum of the rows of a (rows, n), in row order; vectorised (the grouped
// layer's bias gradient).
void add_rows(const float* __restrict a, long rows, long n, float* __restrict out);

// out (cols, rows) = in (rows, cols) transposed.
void transpose(const float* __restrict in, float* __restrict out, long rows, long cols);

// Keras's Adam on one array of n floats: m += (g - m)(1 - b1); v = b2 v + (1 - b2) g^2;
// w -= alpha * (m / (sqrt(v) + eps)), as lstmkit.optimizers.Adam computes it in float32.
void adam(float* __restrict w, float* __restrict m, float* __restrict v,
          const float* __restrict g, long n, float alpha, float one_minus_b1, float b2,
          float one_minus_b2, float eps);

// -- recurrent.cpp ----------------------------------------------------------------------------

// lstmkit_lstm_forward and lstmkit_lstm_backward (below) for a layer of `groups` LSTMs of
// U / groups units side by side: its recurrent kernel (and with input_groups > 1 its input
// kernel, D / input_groups inputs per group) is block-diagonal, and only the diagonal blocks are
// read, and written in the gradients (the rest of dR, dW is zero). groups = input_groups = 1 is
// exactly the plain layer.
int lstm_forward_grouped(const float* x, const float* h0, const float* c0, const float* W,
                         const float* R, const float* bias, long B, long T, long D, long U,
                         int activation, int recurrent_activation, int go_backwards,
                         int return_sequences, float* y, float* hT, float* cT, float* ws,
                         long groups, long input_groups);
int lstm_backward_grouped(const float* x, const float* h0, const float* c0, const float* W,
                          const float* R, long B, long T, long D, long U, int activation,
                          int recurrent_activation, int go_backwards, int return_sequences,
                          const float* ws, const float* dy, const float* dhT, const float* dcT,
                          float* dx, float* dh0, float* dc0, float* dW, float* dR, float* dbias,
                          long groups, long input_groups);

// Whether the CPU runs the AVX-512 kernel, and whether it may (set_avx512, for tests).
bool avx512_available();
extern bool g_avx512_allowed;

}  // namespace lstmkit_native

// -- the C entry points (also reachable with ctypes) --------------------------------------------

extern "C" {

// recurrent.cpp: one LSTM layer.

// The floats lstmkit_lstm_forward keeps in its workspace for the backward.
long lstmkit_forward_workspace_floats(long B, long T, long U);

// The forward over the whole sequence (layout above); returns 0, or -1 for an unknown
// activation code.
int lstmkit_lstm_forward(const float* x, const float* h0, const float* c0, const float* W,
                         const float* R, const float* bias, long B, long T, long D, long U,
                         int activation, int recurrent_activation, int go_backwards,
                         int return_sequences, float* y, float* hT, float* cT, float* ws);

// The gradients of a loss through lstmkit_lstm_forward, given the workspace it filled; returns
// 0, or -1 for an unknown activation code.
int lstmkit_lstm_backward(const float* x, const float* h0, const float* c0, const float* W,
                          const float* R, long B, long T, long D, long U, int activation,
                          int recurrent_activation, int go_backwards, int return_sequences,
                          const float* ws, const float* dy, const float* dhT, const float* dcT,
                          float* dx, float* dh0, float* dc0, float* dW, float* dR, float* dbias);

// stack_step.cpp: one training step of an LSTM/Dense stack.

// Checks spec; returns null when it is well formed, else what is wrong (a static string).
const char* lstmkit_stack_check(const long long* spec);

// How many mask pointers a call with this spec takes (one per layer followed by a dropout).
long lstmkit_stack_masks(const long long* spec);

// Threads the stack step may use (lstmkit passes torch's thread count).
void lstmkit_set_threads(long threads);

// One training step with Adam; returns 0 and the mean loss in *loss_out, or -1 for a malformed
// spec.
int lstmkit_stack_train_step(const long long* spec, const float* x, const float* y, long B,
                             long T, float* const* states, float* const* weights,
                             const float* const* masks, double learning_rate, double beta_1,
                             double beta_2, double epsilon, long iteration,
                             float* prediction_out, float* loss_out);

}  // extern "C"

#endif  // LSTMKIT_NATIVE_LSTM_H_
