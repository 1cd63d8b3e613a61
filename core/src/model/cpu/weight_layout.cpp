// The weights' CPU layout: GPT-2's Conv1D matrices are stored [in, out], so a
// decode step's output is a strided column; transposed once at load, each
// output is one contiguous row streamed by a matrix-vector kernel. The tensors
// keep their shapes (strides {1, in}), so torch and the exports read them as
// before, and the old copies are freed: no duplicate weights.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "kvrecycle/error.h"
#include "model/model_impl.h"

namespace kvr {
namespace {

// [in, out] row-major -> [out, in] row-major, in 32 x 32 tiles so both sides
// stay in cache, output rows split over the pool (load time: torch's own
// transposing copy runs on one thread, ~0.3 s for DialoGPT-small).
void transposeInMemory(at::Tensor& conv1d, cpu::WorkerPool& pool) {
  const int64_t in = conv1d.size(0), out = conv1d.size(1);
  const at::Tensor source = conv1d.contiguous();
  at::Tensor rows = at::empty({out, in}, source.options());
  const float* from = source.data_ptr<float>();
  float* to = rows.data_ptr<float>();
  constexpr int64_t kTile = 32;
  pool.run([&](int part, int parts) {
    int begin = 0, end = 0;
    cpu::partRange(static_cast<int>(out), part, parts, kTile, begin, end);
    for (int64_t o0 = begin; o0 < end; o0 += kTile) {
      for (int64_t i0 = 0; i0 < in; i0 += kTile) {
        for (int64_t o = o0; o < std::min<int64_t>(o0 + kTile, end); ++o) {
          for (int64_t i = i0; i < std::min(i0 + kTile, in); ++i)
            to[o * in + i] = from[i * out + o];
        }
      }
    }
  });
  conv1d = rows.t();  // shape [in, out] again, strides {1, in}
}

const float* view(const at::Tensor& t) {
  if (!t.defined() || t.scalar_type() != at::kFloat || !t.device().is_cpu()) {
    throw Error("CPU forward: a weight is missing or not float32 on the CPU");
  }
  return t.data_ptr<float>();
}

// A matrix laid out [out, in] row-major: shape [in, out], strides {1, in}.
const float* rowsView(const at::Tensor& t) {
  if (t.dim() != 2 || t.stride(0) != 1 || t.stride(1) != t.size(0)) {
    throw Error("CPU forward: a Conv1D weight is not laid out [out, in]");
  }
  return view(t);
}

const float* contiguousView(const at::Tensor& t) {
  if (!t.is_contiguous()) throw Error("CPU forward: a weight is not contiguous");
  return view(t);
}

}  // namespace

cpu::WeightView layOutForCpu(GptWeights& w, cpu::WorkerPool& pool) {
  c10::InferenceMode inference;
  cpu::WeightView v{};
  for (LayerWeights& l : w.layers) {
    for (at::Tensor* m : {&l.attnWeight, &l.attnProjWeight, &l.fcWeight, &l.mlpProjWeight}) {
      transposeInMemory(*m, pool);
    }
    v.layers.push_back(
        {contiguousView(l.ln1Weight), contiguousView(l.ln1Bias), rowsView(l.attnWeight),
         contiguousView(l.attnBias), rowsView(l.attnProjWeight), contiguousView(l.attnProjBias),
         contiguousView(l.ln2Weight), contiguousView(l.ln2Bias), rowsView(l.fcWeight),
         contiguousView(l.fcBias), rowsView(l.mlpProjWeight), contiguousView(l.mlpProjBias)});
  }
  v.wte = contiguousView(w.wte);
  v.wpe = contiguousView(w.wpe);
  v.lnfWeight = contiguousView(w.lnfWeight);
  v.lnfBias = contiguousView(w.lnfBias);
  v.lmHead = contiguousView(w.lmHead);  // [vocab, E]: already one row per output
  return v;
}

}  // namespace kvr
