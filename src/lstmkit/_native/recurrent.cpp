// One LSTM layer (see lstm.h for the layout): the forward over a whole sequence, keeping what the
// backward needs in a workspace, and the hand-derived backward pass through time. The products
// and activations are kernels.cpp's; this file arranges them over the timesteps.

#include <cstring>
#include <vector>

#include "lstm.h"
#include "vec8.h"

using lstmkit_native::activate;
using lstmkit_native::activate_wide;
using lstmkit_native::add_rows;
using lstmkit_native::derivative;
using lstmkit_native::FlushDenormals;
using lstmkit_native::gemm_rows;
using lstmkit_native::gemm_rows_block;
using lstmkit_native::kSigmoid;
using lstmkit_native::kTanh;
using lstmkit_native::lstm_cell_backward;
using lstmkit_native::lstm_cell_backward_tanh_sigmoid;
using lstmkit_native::gemm_rows_nt;
using lstmkit_native::kActivationCount;
using lstmkit_native::transpose;

namespace {

struct Shape {
  long B, T, D, U;
  long G() const { return 4 * U; }
  // The input row of batch b at step s.
  long x_row(long b, long s, bool backwards) const { return b * T + (backwards ? T - 1 - s : s); }
};

// Per-thread buffers, kept between calls: the row pointers handed to the products, the
// backward's scratch and the transposed operands of its weight gradients.
thread_local std::vector<const float*> tl_a_rows;
thread_local std::vector<float*> tl_c_rows;
thread_local std::vector<float> tl_scratch;
thread_local std::vector<float> tl_transposed;
thread_local std::vector<long> tl_block_ks;

// The columns of each group's gates in a row of 4U gates of `groups` LSTMs side by side (u =
// U / groups units each): group g's at [g * 4u, (g + 1) * 4u), q * U + g * u + j for the gates
// q < 4 and j < u.
const long* gate_columns(long groups, long U) {
  const long u = U / groups;
  tl_block_ks.resize(4 * U);
  for (long g = 0; g < groups; ++g)
    for (long q = 0; q < 4; ++q)
      for (long j = 0; j < u; ++j) tl_block_ks[g * 4 * u + q * u + j] = q * U + g * u + j;
  return tl_block_ks.data();
}

// The diagonal blocks of W (rows, 4U) transposed into WT (4U, rows), the rest left as it was:
// WT[q * U + g * u + j][g * r + i] = W[g * r + i][q * U + g * u + j], r = rows / groups.
void transpose_blocks(const float* W, float* WT, long rows, long U, long groups) {
  const long u = U / groups, r = rows / groups, G = 4 * U;
  for (long g = 0; g < groups; ++g)
    for (long i = g * r; i < (g + 1) * r; ++i)
      for (long q = 0; q < 4; ++q)
        for (long j = q * U + g * u; j < q * U + (g + 1) * u; ++j) WT[j * rows + i] = W[i * G + j];
}

}  // namespace

namespace lstmkit_native {

// lstmkit_lstm_forward; with groups > 1, the layer is `groups` LSTMs of U / groups units side by
// side, whose recurrent kernel is block-diagonal (only its diagonal blocks are read), and with
// input_groups > 1 its input is too (its kernel block-diagonal, D / groups inputs each).
int lstm_forward_grouped(const float* x, const float* h0, const float* c0, const float* W,
                         const float* R, const float* bias, long B, long T, long D, long U,
                         int activation, int recurrent_activation, int go_backwards,
                         int return_sequences, float* y, float* hT, float* cT, float* ws,
                         long groups, long input_groups) {
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
  if (input_groups == 1) {
    gemm_rows(tl_a_rows.data(), W, tl_c_rows.data(), T * B, D, G, true);
  } else {
    const long d = D / input_groups, u = U / input_groups;
    for (long g = 0; g < input_groups; ++g)
      gemm_rows_block(tl_a_rows.data(), g * d, W + g * d * G + g * u, G, tl_c_rows.data(), g * u,
                      T * B, d, nullptr, u, 4, U, false);
  }

  for (long st = 0; st < T; ++st) {
    float* z = gates + st * B * G;
    const float* h_prev = st ? hs + (st - 1) * B * U : h0;
    const float* c_prev = st ? cs + (st - 1) * B * U : c0;
    for (long b = 0; b < B; ++b) {
      tl_a_rows[b] = h_prev + b * U;
      tl_c_rows[b] = z + b * G;
    }
    if (groups == 1) {
      gemm_rows(tl_a_rows.data(), R, tl_c_rows.data(), B, U, G, true);
    } else {
      const long u = U / groups;
      for (long g = 0; g < groups; ++g)
        // Looking for zeros pays only where the state may be all zero: the initial one.
        gemm_rows_block(tl_a_rows.data(), g * u, R + g * u * G + g * u, G, tl_c_rows.data(),
                        g * u, B, u, nullptr, u, 4, U, st == 0);
    }
    float* c = cs + st * B * U;
    float* ac = acs + st * B * U;
    float* h = hs + st * B * U;
    for (long b = 0; b < B; ++b) {
      float* zb = z + b * G;
      if (groups > 1) {
        activate_wide(recurrent_activation, zb, 2 * U);
        activate_wide(activation, zb + 2 * U, U);
        activate_wide(recurrent_activation, zb + 3 * U, U);
      } else {
        activate(recurrent_activation, zb, 2 * U);
        activate(activation, zb + 2 * U, U);
        activate(recurrent_activation, zb + 3 * U, U);
      }
      const float *i = zb, *f = zb + U, *g = zb + 2 * U, *o = zb + 3 * U;
      const float* cp = c_prev + b * U;
      float* cb = c + b * U;
      float* acb = ac + b * U;
      for (long k = 0; k < U; ++k) acb[k] = cb[k] = f[k] * cp[k] + i[k] * g[k];
      if (groups > 1)
        activate_wide(activation, acb, U);
      else
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

// lstmkit_lstm_backward, for groups and input_groups as lstm_forward_grouped: with groups > 1,
// only the diagonal blocks of dR are written (the rest is zero), and with input_groups > 1
// those of dW.
int lstm_backward_grouped(const float* x, const float* h0, const float* c0, const float* W,
                          const float* R, long B, long T, long D, long U, int activation,
                          int recurrent_activation, int go_backwards, int return_sequences,
                          const float* ws, const float* dy, const float* dhT, const float* dcT,
                          float* dx, float* dh0, float* dc0, float* dW, float* dR, float* dbias,
                          long groups, long input_groups) {
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
  const bool transpose_r = B >= 8 || groups > 1;
  const bool transpose_w = dx && (T * B >= 8 || input_groups > 1);
  tl_scratch.resize(T * B * G + 2 * B * U + G + U + (transpose_r ? G * U : 0) +
                    (transpose_w ? G * D : 0));
  float* dz_all = tl_scratch.data();
  float* dh = dz_all + T * B * G;
  float* dc = dh + B * U;
  float* dgate = dc + B * U;
  float* dact = dgate + G;
  float* RT = dact + U;                             // (4U, U) when transpose_r
  float* WT = RT + (transpose_r ? G * U : 0);       // (4U, D) when transpose_w
  // Grouped, RT and WT are always used, holding only the diagonal blocks.
  if (groups > 1)
    transpose_blocks(R, RT, U, U, groups);
  else if (transpose_r)
    transpose(R, RT, U, G);
  if (input_groups > 1 && dx)
    transpose_blocks(W, WT, D, U, input_groups);
  else if (transpose_w)
    transpose(W, WT, D, G);

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
  const long* group_gates = groups > 1 ? gate_columns(groups, U) : nullptr;
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
      if (groups > 1 && activation == kTanh && recurrent_activation == kSigmoid) {
        lstm_cell_backward_tanh_sigmoid(zb, acb, cp, dhb, dcb, dzb, U);
        continue;
      }
      derivative(recurrent_activation, zb, dgate, 2 * U);
      derivative(activation, zb + 2 * U, dgate + 2 * U, U);
      derivative(recurrent_activation, zb + 3 * U, dgate + 3 * U, U);
      derivative(activation, acb, dact, U);
      if (groups > 1) {
        lstm_cell_backward(zb, acb, cp, dgate, dact, dhb, dcb, dzb, U);
        continue;
      }
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
    if (groups > 1) {
      const long u = U / groups;
      for (long g = 0; g < groups; ++g)
        gemm_rows_block(tl_a_rows.data(), 0, RT + g * u, U, tl_c_rows.data(), g * u, B, 4 * u,
                        group_gates + g * 4 * u, u, 1, 0, false);
    } else if (transpose_r)
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
  if (groups == 1) {
    gemm_rows(tl_a_rows.data(), dz_all, tl_c_rows.data(), U, TB, G, true);
  } else {
    const long u = U / groups;
    for (long g = 0; g < groups; ++g)
      gemm_rows_block(tl_a_rows.data() + g * u, 0, dz_all + g * u, G, tl_c_rows.data() + g * u,
                      g * u, u, TB, nullptr, u, 4, U, false);
  }
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
  if (input_groups == 1) {
    gemm_rows(tl_a_rows.data(), dz_all, tl_c_rows.data(), D, TB, G, true);
  } else {
    const long d = D / input_groups, u = U / input_groups;
    for (long g = 0; g < input_groups; ++g)
      gemm_rows_block(tl_a_rows.data() + g * d, 0, dz_all + g * u, G, tl_c_rows.data() + g * d,
                      g * u, d, TB, nullptr, u, 4, U, false);
  }
  if (dbias) {
    std::memset(dbias, 0, sizeof(float) * G);
    if (groups > 1)
      add_rows(dz_all, T * B, G, dbias);
    else
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
    if (input_groups > 1) {
      const long d = D / input_groups, u = U / input_groups;
      for (long g = 0; g < input_groups; ++g)
        gemm_rows_block(tl_a_rows.data(), 0, WT + g * d, D, tl_c_rows.data(), g * d, T * B,
                        4 * u, gate_columns(input_groups, U) + g * 4 * u, d, 1, 0, false);
    } else if (transpose_w)
      gemm_rows(tl_a_rows.data(), WT, tl_c_rows.data(), T * B, G, D, false);
    else
      gemm_rows_nt(tl_a_rows.data(), W, tl_c_rows.data(), T * B, G, D);
  }
  return 0;
}

}  // namespace lstmkit_native

extern "C" {

long lstmkit_forward_workspace_floats(long B, long T, long U) { return T * B * (4 * U + 3 * U); }

// Returns 0, or -1 for an unknown activation code.
int lstmkit_lstm_forward(const float* x, const float* h0, const float* c0, const float* W,
                         const float* R, const float* bias, long B, long T, long D, long U,
                         int activation, int recurrent_activation, int go_backwards,
                         int return_sequences, float* y, float* hT, float* cT, float* ws) {
  return lstmkit_native::lstm_forward_grouped(x, h0, c0, W, R, bias, B, T, D, U, activation,
                                              recurrent_activation, go_backwards,
                                              return_sequences, y, hT, cT, ws, 1, 1);
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
  return lstmkit_native::lstm_backward_grouped(x, h0, c0, W, R, B, T, D, U, activation,
                                               recurrent_activation, go_backwards,
                                               return_sequences, ws, dy, dhT, dcT, dx, dh0, dc0,
                                               dW, dR, dbias, 1, 1);
}

}  // extern "C"
