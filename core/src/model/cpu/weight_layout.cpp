// The weights' CPU layout: GPT-2's Conv1D matrices are stored [in, out], so a
// decode step's output is a strided column; transposed once at load, each
// output is one contiguous row streamed by a matrix-vector kernel. The tensors
// keep their shapes (strides {1, in}), so torch and the exports read them as
// before, and the old copies are freed: no duplicate weights. With bf16
// weights each matrix is transposed into bfloat16 panels instead
// (model/cpu/bf16_panels.h) and its float32 tensor freed (wte stays float32:
// the embedding reads it).
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "kvrecycle/error.h"
#include "model/cpu/bf16_panels.h"
#include "model/model_impl.h"

namespace kvr {
namespace {

// [in, out] row-major -> [out, in] row-major, in 32 x 32 tiles so both sides
// stay in cache, output rows split over the pool (load time: torch's own
// transposing copy runs on one thread, ~0.3 s for DialoGPT-small).
void transposeTiled(const float* from, int64_t in, int64_t out, cpu::WorkerPool& pool, float* to) {
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
}

void transposeInMemory(at::Tensor& conv1d, cpu::WorkerPool& pool) {
  const int64_t in = conv1d.size(0), out = conv1d.size(1);
  const at::Tensor source = conv1d.contiguous();
  at::Tensor rows = at::empty({out, in}, source.options());
  float* to = rows.data_ptr<float>();
  transposeTiled(source.data_ptr<float>(), in, out, pool, to);
  conv1d = rows.t();  // shape [in, out] again, strides {1, in}
}

// A bf16 tensor's elements as the kernels read them.
const uint16_t* bf16Data(const at::Tensor& t) {
  return reinterpret_cast<const uint16_t*>(t.data_ptr<at::BFloat16>());
}

// A bf16 matrix [rows, cols] in panels (model/cpu/bf16_panels.h) from
// value(row, col), the panels split over the pool.
template <typename Value>
at::Tensor packToBf16(int64_t rows, int64_t cols, cpu::WorkerPool& pool, const Value& value) {
  const auto r = static_cast<int>(rows), c = static_cast<int>(cols);
  at::Tensor panels = at::zeros({static_cast<int64_t>(cpu::panelMatrixElements(r, c))},
                                at::TensorOptions().dtype(at::kBFloat16));
  auto* to = const_cast<uint16_t*>(bf16Data(panels));
  const size_t count = cpu::panelCount(r);
  pool.run([&](int part, int parts) {
    cpu::packBf16Panels(r, c, count * part / parts, count * (part + 1) / parts, value, to);
  });
  return panels;
}

// The Conv1D matrix [in, out] as bf16 panels of [out, in]; the float32 tensor is freed.
at::Tensor transposeToBf16(at::Tensor& conv1d, cpu::WorkerPool& pool) {
  const int64_t in = conv1d.size(0), out = conv1d.size(1);
  const at::Tensor source = conv1d.contiguous();
  const float* from = source.data_ptr<float>();
  at::Tensor panels =
      packToBf16(out, in, pool, [from, out](int o, int i) { return from[i * out + o]; });
  conv1d = at::Tensor();
  return panels;
}

// An already row-major [rows, cols] matrix (the LM head) as bf16 panels.
at::Tensor roundToBf16(const at::Tensor& matrix, cpu::WorkerPool& pool) {
  const at::Tensor source = matrix.contiguous();
  const int64_t cols = source.size(1);
  const float* from = source.data_ptr<float>();
  return packToBf16(source.size(0), cols, pool,
                    [from, cols](int r, int c) { return from[r * cols + c]; });
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

cpu::WeightView layOutForCpu(GptWeights& w, WeightsDtype dtype, cpu::WorkerPool& pool,
                             std::vector<at::Tensor>& bf16Matrices) {
  c10::InferenceMode inference;
  const bool bf16 = dtype == WeightsDtype::BF16;
  // The matrix's view, its storage made in the chosen precision.
  const auto matrix = [&](at::Tensor& conv1d) {
    cpu::Matrix m;
    if (bf16) {
      bf16Matrices.push_back(transposeToBf16(conv1d, pool));
      m.bf16 = bf16Data(bf16Matrices.back());
    } else {
      transposeInMemory(conv1d, pool);
      m.f32 = rowsView(conv1d);
    }
    return m;
  };
  cpu::WeightView v{};
  for (LayerWeights& l : w.layers) {
    cpu::LayerView layer{};
    layer.ln1Weight = contiguousView(l.ln1Weight);
    layer.ln1Bias = contiguousView(l.ln1Bias);
    layer.attn = matrix(l.attnWeight);
    layer.attnBias = contiguousView(l.attnBias);
    layer.attnProj = matrix(l.attnProjWeight);
    layer.attnProjBias = contiguousView(l.attnProjBias);
    layer.ln2Weight = contiguousView(l.ln2Weight);
    layer.ln2Bias = contiguousView(l.ln2Bias);
    layer.fc = matrix(l.fcWeight);
    layer.fcBias = contiguousView(l.fcBias);
    layer.mlpProj = matrix(l.mlpProjWeight);
    layer.mlpProjBias = contiguousView(l.mlpProjBias);
    v.layers.push_back(layer);
  }
  v.wte = contiguousView(w.wte);
  v.wpe = contiguousView(w.wpe);
  v.lnfWeight = contiguousView(w.lnfWeight);
  v.lnfBias = contiguousView(w.lnfBias);
  // [vocab, E]: already one row per output. Tied to wte, whose float32 the
  // embedding still needs, so the bf16 head is an extra copy.
  if (bf16) {
    bf16Matrices.push_back(roundToBf16(w.lmHead, pool));
    v.lmHead.bf16 = bf16Data(bf16Matrices.back());
  } else {
    v.lmHead.f32 = contiguousView(w.lmHead);
  }
  return v;
}

}  // namespace kvr
