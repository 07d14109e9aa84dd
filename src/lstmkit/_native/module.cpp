// The CPython module lstmkit._native._lstm: METH_FASTCALL entry points taking pointers as
// integers (tensor.data_ptr()), the cheapest call CPython offers, each checking its argument
// count and raising a Python error for what the C entry points (lstm.h) report as malformed.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <vector>

#include "lstm.h"

using lstmkit_native::avx512_available;
using lstmkit_native::g_avx512_allowed;
using lstmkit_native::kStackDenseInts;
using lstmkit_native::kStackHeader;
using lstmkit_native::kStackLstmInts;

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

// With groups > 1 the layer is `groups` LSTMs of U / groups units side by side: only the diagonal
// blocks of the recurrent kernel are read (lstm_forward_grouped); the input kernel is full.
bool check_groups(const char* name, long long U, long long groups) {
  if (groups < 1 || U % groups) {
    PyErr_Format(PyExc_ValueError,
                 "%s: groups must be a positive divisor of the units; got groups=%lld with "
                 "units=%lld",
                 name, groups, U);
    return false;
  }
  return true;
}

PyObject* py_forward(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  long long a[19];
  if (!read_ints(args, nargs, 19, "forward", a)) return nullptr;
  if (!check_groups("forward", a[9], a[18])) return nullptr;
  int rc = lstmkit_native::lstm_forward_grouped(
      ptr<const float>(a[0]), ptr<const float>(a[1]), ptr<const float>(a[2]),
      ptr<const float>(a[3]), ptr<const float>(a[4]), ptr<const float>(a[5]), a[6], a[7], a[8],
      a[9], int(a[10]), int(a[11]), int(a[12]), int(a[13]), ptr<float>(a[14]), ptr<float>(a[15]),
      ptr<float>(a[16]), ptr<float>(a[17]), long(a[18]), 1);
  if (rc) {
    PyErr_Format(PyExc_ValueError, "unknown activation code: activation=%lld, recurrent=%lld",
                 a[10], a[11]);
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyObject* py_backward(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  long long a[24];
  if (!read_ints(args, nargs, 24, "backward", a)) return nullptr;
  if (!check_groups("backward", a[8], a[23])) return nullptr;
  // Grouped, the kernel zeroes all of dR and writes only its diagonal blocks: the gradient of
  // the weights between groups is exactly zero, so an optimizer never moves them.
  int rc = lstmkit_native::lstm_backward_grouped(
      ptr<const float>(a[0]), ptr<const float>(a[1]), ptr<const float>(a[2]),
      ptr<const float>(a[3]), ptr<const float>(a[4]), a[5], a[6], a[7], a[8], int(a[9]),
      int(a[10]), int(a[11]), int(a[12]), ptr<const float>(a[13]), ptr<const float>(a[14]),
      ptr<const float>(a[15]), ptr<const float>(a[16]), ptr<float>(a[17]), ptr<float>(a[18]),
      ptr<float>(a[19]), ptr<float>(a[20]), ptr<float>(a[21]), ptr<float>(a[22]), long(a[23]),
      1);
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
     "recurrent_activation, go_backwards, return_sequences, y, hT, cT, workspace, groups): "
     "pointers as integers (0 for none); groups > 1: a block-diagonal recurrent kernel."},
    {"backward", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(py_backward)),
     METH_FASTCALL,
     "backward(x, h0, c0, kernel, recurrent_kernel, B, T, D, U, activation, "
     "recurrent_activation, go_backwards, return_sequences, workspace, dy, dhT, dcT, dx, dh0, "
     "dc0, dkernel, drecurrent_kernel, dbias, groups)."},
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
