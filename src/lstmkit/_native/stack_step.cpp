// One whole training step of a stack of LSTM layers and Dense layers, with Adam, in one call:
// the forward, the loss, the backward through every layer and the update, with no Python in
// between. The LSTM layers are recurrent.cpp's forward and backward; the Dense layers, the loss
// and softmax are here; the products and Adam are kernels.cpp's.
//
// Sequential([LSTM, (Dropout), ..., LSTM, (Dropout), Dense, (Dropout), ..., Dense, (Dropout)]),
// the models of W0, W2, W3 and W4: L >= 1 LSTM layers, all but the last
// returning sequences, then K >= 1 Dense layers, each layer optionally followed by a dropout
// whose multiplier mask (0 or 1 / keep, drawn by the caller from the same random stream as the
// regular step) is given. The model is described by a compact int64 array `spec`:
//
//   spec[0] = L, spec[1] = K, spec[2] = loss code, spec[3] = D (the input's features),
//   spec[4] = groups (1: one network; see below)
//   per LSTM layer l (5 each):  U_l, activation, recurrent_activation, go_backwards, dropout
//   per Dense layer k (3 each): outputs O_k, activation (an Activation code, or kStackSoftmax),
//                               dropout
//   then the addresses of Adam's moments: m[0..N), v[0..N), N = 3L + 2K weights, in the
//   model's order: per LSTM kernel (D_l, 4U_l), recurrent_kernel (U_l, 4U_l), bias (4U_l);
//   per Dense kernel (I_k, O_k), bias (O_k).
//
// The moments' memory is fixed between calls (so it lives in the spec); the weights', the
// initial and final states' and the masks' is passed at every call.
//
// groups = G > 1: the stack is G networks of the same shape side by side (lstmkit.forecast's
// ensemble), laid out as one network whose layers are G times as wide: network g owns units
// g*u ... (g+1)*u - 1 of every gate of an LSTM of U = G*u units and outputs g*o ... (g+1)*o - 1
// of a Dense of O = G*o, and every kernel but the first LSTM's input kernel (every network reads
// the same inputs) is block-diagonal. Only the diagonal blocks are computed, and updated: the
// weights between networks are never read or written (they are zero, so the output is the wide
// network's), nor their moments. The loss is the wide network's (the mean over all G*o
// outputs), so it must be elementwise (not categorical crossentropy, no softmax).

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "lstm.h"
#include "vec8.h"

using lstmkit_native::activate;
using lstmkit_native::adam;
using lstmkit_native::derivative;
using lstmkit_native::FlushDenormals;
using lstmkit_native::gemm_rows;
using lstmkit_native::gemm_rows_block;
using lstmkit_native::gemm_rows_nt;
using lstmkit_native::kActivationCount;
using lstmkit_native::kLinear;
using lstmkit_native::kStackDenseInts;
using lstmkit_native::kStackHeader;
using lstmkit_native::kStackLstmInts;
using lstmkit_native::lstm_backward_grouped;
using lstmkit_native::lstm_forward_grouped;
using lstmkit_native::transpose;

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

// Per-thread buffers of the products' row pointers and of a transposed Dense input, kept
// between calls.
thread_local std::vector<const float*> tl_a_rows;
thread_local std::vector<float*> tl_c_rows;
thread_local std::vector<float> tl_transposed;

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
  std::vector<float> grads, grad_a, grad_b, zeros, dummy, dense_t;
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
  const long long groups = spec[4];
  if (groups < 1) return "spec: groups must be positive";
  if (groups > 1 && spec[2] == kCategoricalCrossentropy)
    return "spec: groups > 1 needs an elementwise loss, not categorical crossentropy";
  const long long* p = spec + kStackHeader;
  for (long long l = 0; l < L; ++l, p += kStackLstmInts) {
    if (p[0] < 1) return "spec: an LSTM layer's units must be positive";
    if (p[1] < 0 || p[1] >= kActivationCount || p[2] < 0 || p[2] >= kActivationCount)
      return "spec: unknown LSTM activation code";
    if (p[0] % groups) return "spec: every LSTM layer's units must be a multiple of groups";
  }
  for (long long k = 0; k < K; ++k, p += kStackDenseInts) {
    if (p[0] < 1) return "spec: a Dense layer's outputs must be positive";
    if (p[1] < 0 || p[1] > kStackSoftmax) return "spec: unknown Dense activation code";
    if (p[0] % groups) return "spec: every Dense layer's outputs must be a multiple of groups";
    if (groups > 1 && p[1] == kStackSoftmax) return "spec: groups > 1 cannot take softmax";
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
  const long L = long(spec[0]), K = long(spec[1]), loss = long(spec[2]), groups = long(spec[4]);
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
    lstm_forward_grouped(a, h0, c0, weights[3 * l], weights[3 * l + 1], weights[3 * l + 2], B, T,
                         D, U, int(ls[1]), int(ls[2]), int(ls[3]), sequences, out,
                         buf.state[l].data(), buf.state[l].data() + B * U, buf.ws[l].data(),
                         groups, l ? groups : 1);
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
    if (groups == 1) {
      gemm_rows(tl_a_rows.data(), W, tl_c_rows.data(), B, I, O, true);
    } else {
      const long i = I / groups, o = O / groups;
      for (long g = 0; g < groups; ++g)
        gemm_rows_block(tl_a_rows.data(), g * i, W + g * i * O + g * o, O, tl_c_rows.data(),
                        g * o, B, i, nullptr, o, 1, 0, true);
    }
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
    const long gi = I / groups, go = Ok / groups;  // one network's inputs and outputs
    if (groups == 1) {
      gemm_rows(tl_a_rows.data(), g, tl_c_rows.data(), I, B, Ok, true);
    } else {
      for (long n = 0; n < groups; ++n)
        gemm_rows_block(tl_a_rows.data() + n * gi, 0, g + n * go, Ok, tl_c_rows.data() + n * gi,
                        n * go, gi, B, nullptr, go, 1, 0, true);
    }
    // d input = g @ W^T (row i of W dotted with each row of g).
    std::memset(spare, 0, sizeof(float) * B * I);
    for (long r = 0; r < B; ++r) {
      tl_a_rows[r] = g + r * Ok;
      tl_c_rows[r] = spare + r * I;
    }
    if (groups == 1) {
      gemm_rows_nt(tl_a_rows.data(), weights[3 * L + 2 * k], tl_c_rows.data(), B, Ok, I);
    } else {
      // Through the diagonal blocks of W transposed, (Ok, I).
      const float* W = weights[3 * L + 2 * k];
      buf.dense_t.resize(Ok * I);
      float* WT = buf.dense_t.data();
      for (long n = 0; n < groups; ++n)
        for (long i = n * gi; i < (n + 1) * gi; ++i)
          for (long o = n * go; o < (n + 1) * go; ++o) WT[o * I + i] = W[i * Ok + o];
      for (long n = 0; n < groups; ++n)
        gemm_rows_block(tl_a_rows.data(), n * go, WT + n * go * I + n * gi, I, tl_c_rows.data(),
                        n * gi, B, go, nullptr, gi, 1, 0, false);
    }
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
    lstm_backward_grouped(in, h0, c0, weights[3 * l], weights[3 * l + 1], B, T, D, U, int(ls[1]),
                          int(ls[2]), int(ls[3]), sequences, buf.ws[l].data(), g, nullptr,
                          nullptr, l ? spare : nullptr, buf.dummy.data(),
                          buf.dummy.data() + B * U, gw[3 * l], gw[3 * l + 1], gw[3 * l + 2],
                          groups, l ? groups : 1);
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
  const long groups = long(spec[4]);
  for (long i = 0, offset = 0; i < N; offset += sizes[i], ++i) {
    // Grouped, a block-diagonal kernel is updated on its diagonal blocks only: rows of `cols`
    // floats, group g's rows g*r ... (g+1)*r - 1 and in each its `chunks` runs of c floats at
    // g*c + q*stride (an LSTM's four gates, a Dense's one run).
    long rows = 0, cols = 0, chunks = 0, stride = 0;
    if (groups > 1 && i < 3 * L && i % 3 != 2 && i != 0) {
      const long l = i / 3, U = units(l);
      rows = i % 3 ? U : in_dim(l);
      cols = 4 * U;
      chunks = 4;
      stride = U;
    } else if (groups > 1 && i >= 3 * L && (i - 3 * L) % 2 == 0) {
      const long k = (i - 3 * L) / 2;
      rows = dense_in(k);
      cols = outputs(k);
      chunks = 1;
      stride = 0;
    }
    if (!rows) {
      adam(weights[i], m[i], v[i], grads + offset, sizes[i], alpha, float(1.0 - beta_1),
           float(beta_2), float(1.0 - beta_2), float(epsilon));
      continue;
    }
    const long r = rows / groups, c = (chunks == 4 ? cols / 4 : cols) / groups;
    for (long g = 0; g < groups; ++g)
      for (long row = g * r; row < (g + 1) * r; ++row)
        for (long q = 0; q < chunks; ++q) {
          const long at = row * cols + q * stride + g * c;
          adam(weights[i] + at, m[i] + at, v[i] + at, grads + offset + at, c, alpha,
               float(1.0 - beta_1), float(beta_2), float(1.0 - beta_2), float(epsilon));
        }
  }
  *loss_out = float(sum_loss / B);
  return 0;
}

}  // extern "C"
