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

void transposeInMemory(at::Tensor& conv1d) {
  conv1d = conv1d.t().contiguous().t();
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

cpu::WeightView layOutForCpu(GptWeights& w) {
  c10::InferenceMode inference;
  cpu::WeightView v{};
  for (LayerWeights& l : w.layers) {
    for (at::Tensor* m : {&l.attnWeight, &l.attnProjWeight, &l.fcWeight, &l.mlpProjWeight}) {
      transposeInMemory(*m);
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
