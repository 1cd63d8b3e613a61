// The GPT-2 forward on the CPU without torch, over the weights laid out [out,
// in] at load (model/cpu/weight_layout.cpp). One token (a decode step) runs
// as matrix-vector products that read every weight once, the rows split over
// the worker pool; several tokens (a prefill) run as GEMMs on the process's
// BLAS. Same maths as gpt2_forward.cpp (Hugging Face's GPT2LMHeadModel).
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "model/cpu/blas.h"
#include "model/cpu/kernels.h"
#include "model/cpu/worker_pool.h"
#include "model/model_impl.h"

namespace kvr {

void cpu::layerNormRow(const float* x, const float* gamma, const float* beta, double eps, float* y,
                       int n) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / n;
  double squares = 0;
  for (int i = 0; i < n; ++i) squares += (x[i] - mean) * (x[i] - mean);
  const auto m = static_cast<float>(mean);
  const auto rstd = static_cast<float>(1.0 / std::sqrt(squares / n + eps));
  for (int i = 0; i < n; ++i) y[i] = (x[i] - m) * rstd * gamma[i] + beta[i];
}

const char* cpu::opName(Op op) {
  static const char* const names[] = {"embed",     "layer_norm", "qkv",      "attention",
                                      "attn_proj", "fc_gelu",    "mlp_proj", "lm_head"};
  return names[static_cast<size_t>(op)];
}

namespace {

using cpu::Op;
using cpu::partRange;

// Times one op into the model's profile when profiling is on.
class OpTimer {
 public:
  OpTimer(cpu::OpTimes* times, Op op) : times_(times), op_(op) {
    if (times_ != nullptr) start_ = std::chrono::steady_clock::now();
  }
  ~OpTimer() {
    if (times_ == nullptr) return;
    const auto i = static_cast<size_t>(op_);
    times_->seconds[i] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    ++times_->calls[i];
  }
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

 private:
  cpu::OpTimes* times_;
  Op op_;
  std::chrono::steady_clock::time_point start_;
};

template <typename Buffer>
void grow(Buffer& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
}

// In place on n values. The tanh GELU is written x * sigmoid(2u), which needs
// one exponential and stays accurate where tanh(u) is near -1.
void activate(const cpu::Kernels& k, Activation kind, float* x, int n) {
  switch (kind) {
    case Activation::Relu:
      for (int i = 0; i < n; ++i) x[i] = x[i] < 0.f ? 0.f : x[i];
      return;
    case Activation::Gelu:
      for (int i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.f + std::erf(x[i] * float(M_SQRT1_2)));
      return;
    case Activation::GeluNew:
    case Activation::GeluPytorchTanh:
      break;
  }
  constexpr int kChunk = 256;
  constexpr float kMinusTwoSqrt2OverPi = -2.f * 0.7978845608028654f;
  float t[kChunk];
  for (int start = 0; start < n; start += kChunk) {
    const int len = std::min(kChunk, n - start);
    float* v = x + start;
    for (int i = 0; i < len; ++i)
      t[i] = kMinusTwoSqrt2OverPi * (v[i] + 0.044715f * v[i] * v[i] * v[i]);
    k.exp(t, len);
    for (int i = 0; i < len; ++i) v[i] = v[i] / (1.f + t[i]);
  }
}

// Softmax of scores[0, valid) in place.
// `live` (eviction, optional): a key flagged 0 takes no part, neither in the
// maximum nor in the sum, and gets weight 0. Without it, or with every key
// live, the arithmetic is the same as with no flags at all.
void softmaxRow(const cpu::Kernels& k, float* scores, int valid, const uint8_t* live = nullptr) {
  float top = -std::numeric_limits<float>::infinity();
  bool nan = false;
  for (int t = 0; t < valid; ++t) {
    if (live != nullptr && live[t] == 0) continue;
    nan |= std::isnan(scores[t]);
    top = std::max(top, scores[t]);
  }
  if (nan) top = std::numeric_limits<float>::quiet_NaN();  // a poisoned key poisons the row
  if (live != nullptr) {
    for (int t = 0; t < valid; ++t) {
      if (live[t] == 0) scores[t] = top;  // finite through exp, zeroed below
    }
  }
  for (int t = 0; t < valid; ++t) scores[t] -= top;
  k.exp(scores, valid);
  if (live != nullptr) {
    for (int t = 0; t < valid; ++t) {
      if (live[t] == 0) scores[t] = 0.f;
    }
  }
  float sum = 0.f;
  for (int t = 0; t < valid; ++t) sum += scores[t];
  const float inv = 1.f / sum;
  for (int t = 0; t < valid; ++t) scores[t] *= inv;
}

// Linear layers stream each weight row once through the engine's kernels for
// up to this many tokens at a time (their inputs stay in L2 while the weights
// pass); how many tokens in all before the BLAS GEMM wins is the kernels' own
// (Kernels::gemmRowsMaxTokens).
constexpr int kTokenChunk = 64;
// bf16 weight rows widened to float32 at a time per thread in a prefill: 16
// rows of 3072 columns (an MLP projection) are 192 KiB, still in L2.
constexpr int kWidenRows = 16;
// Queries of one head attended together: their keys and values pass through
// L1 once per block instead of once per query (dialogpt-small, 480-token
// prefill: attention 81 -> 75 ms; the scores kernel's four keys at a time
// then took it to 44).
constexpr int kQueryBlock = 8;

class CpuForward {
 public:
  CpuForward(const Model::Impl& model, KVCache::Impl& cache, int n)
      : c_(model.config),
        w_(model.cpuWeights),
        k_(cpu::bestKernels()),
        pool_(*model.pool),
        cache_(cache),
        s_(cache.scratch),
        n_(n),
        past_(cache.length()),
        embd_(c_.nEmbd),
        heads_(c_.nHead),
        headDim_(c_.headDim()),
        inner_(c_.nInner),
        profile_(model.profile) {
    const auto rows = static_cast<size_t>(n);
    grow(s_.hidden, rows * embd_);
    grow(s_.normed, rows * embd_);
    grow(s_.qkv, rows * 3 * embd_);
    grow(s_.context, rows * embd_);
    grow(s_.inner, rows * inner_);
    grow(s_.scores, scoresPerThread() * pool_.threads());
    if (n > 1 && w_.lmHead.bf16 != nullptr) grow(s_.expanded, widenedFloats() * pool_.threads());
  }

  void hidden(const int* ids) {
    embed(ids);
    cache_.noteWritten(past_ + n_);  // before the layers: a failure part-way still counts
    for (size_t l = 0; l < w_.layers.size(); ++l) layer(static_cast<int>(l), w_.layers[l]);
  }

  // LN_f of the last row (or all rows) and the LM head into scratch.logits.
  const float* logits(bool allRows) {
    const int rows = allRows ? n_ : 1;
    const float* from = s_.hidden.data() + static_cast<size_t>(n_ - rows) * embd_;
    layerNorm(from, w_.lnfWeight, w_.lnfBias, s_.normed.data(), rows);
    grow(s_.logits, static_cast<size_t>(rows) * c_.vocabSize);
    const OpTimer timer(profile_, Op::LmHead);
    linear(s_.normed.data(), w_.lmHead, nullptr, s_.logits.data(), rows, c_.vocabSize, embd_,
           Epilogue::Store);
    return s_.logits.data();
  }

 private:
  void embed(const int* ids) {
    const OpTimer timer(profile_, Op::Embed);
    for (int i = 0; i < n_; ++i) {
      const float* token = w_.wte + static_cast<size_t>(ids[i]) * embd_;
      const float* position = w_.wpe + static_cast<size_t>(past_ + i) * embd_;
      float* out = s_.hidden.data() + static_cast<size_t>(i) * embd_;
      for (int j = 0; j < embd_; ++j) out[j] = token[j] + position[j];
    }
  }

  void layer(int l, const cpu::LayerView& w) {
    float* hidden = s_.hidden.data();
    layerNorm(hidden, w.ln1Weight, w.ln1Bias, s_.normed.data(), n_);
    {
      const OpTimer timer(profile_, Op::Qkv);
      linear(s_.normed.data(), w.attn, w.attnBias, s_.qkv.data(), n_, 3 * embd_, embd_,
             Epilogue::Store);
    }
    attention(l);
    {
      const OpTimer timer(profile_, Op::AttnProj);
      linear(s_.context.data(), w.attnProj, w.attnProjBias, hidden, n_, embd_, embd_,
             Epilogue::AddToOutput);
    }
    layerNorm(hidden, w.ln2Weight, w.ln2Bias, s_.normed.data(), n_);
    {
      const OpTimer timer(profile_, Op::Fc);
      linear(s_.normed.data(), w.fc, w.fcBias, s_.inner.data(), n_, inner_, embd_,
             Epilogue::Activate);
    }
    {
      const OpTimer timer(profile_, Op::MlpProj);
      linear(s_.inner.data(), w.mlpProj, w.mlpProjBias, hidden, n_, embd_, inner_,
             Epilogue::AddToOutput);
    }
  }

  void layerNorm(const float* x, const float* gamma, const float* beta, float* y, int rows) {
    const OpTimer timer(profile_, Op::LayerNorm);
    const double eps = c_.layerNormEpsilon;
    const auto one = [&](int r) {
      cpu::layerNormRow(x + static_cast<size_t>(r) * embd_, gamma, beta, eps,
                        y + static_cast<size_t>(r) * embd_, embd_);
    };
    if (rows == 1) return one(0);
    pool_.run([&](int part, int parts) {
      int begin = 0, end = 0;
      partRange(rows, part, parts, 1, begin, end);
      for (int r = begin; r < end; ++r) one(r);
    });
  }

  // Store: y = x W^T + bias; AddToOutput: y += that (the residual);
  // Activate: y = act(x W^T + bias), applied by each thread to its own rows.
  enum class Epilogue { Store, AddToOutput, Activate };

  // y[rows, out] from x[rows, in] and W row-major [out, in].
  void linear(const float* x, const cpu::Matrix& weight, const float* bias, float* y, int rows,
              int out, int in, Epilogue epilogue) {
    const bool add = epilogue == Epilogue::AddToOutput;
    if (weight.bf16 != nullptr || k_.gemmRowsMaxTokens == 0 || rows <= k_.gemmRowsMaxTokens) {
      pool_.run([&](int part, int parts) {
        int begin = 0, end = 0;
        partRange(out, part, parts, 16, begin, end);
        if (rows == 1 && weight.bf16 != nullptr) {
          k_.gemvRowsBf16(weight.bf16, x, bias, y, in, begin, end, add);
        } else if (rows == 1) {
          k_.gemvRows(weight.f32, x, bias, y, in, begin, end, add);
        } else if (weight.bf16 != nullptr) {
          gemmRowsBf16(part, weight.bf16, x, rows, bias, y, out, in, begin, end, add);
        } else {
          for (int t = 0; t < rows; t += kTokenChunk) {
            const size_t at = static_cast<size_t>(t);
            k_.gemmRows(weight.f32, x + at * in, std::min(kTokenChunk, rows - t), bias,
                        y + at * out, out, in, begin, end, add);
          }
        }
        if (epilogue != Epilogue::Activate) return;
        for (int r = 0; r < rows; ++r) {
          activate(k_, c_.activation, y + static_cast<size_t>(r) * out + begin, end - begin);
        }
      });
      return;
    }
    for (int r = 0; r < rows; ++r) {
      float* row = y + static_cast<size_t>(r) * out;
      if (!add) {
        if (bias != nullptr)
          std::memcpy(row, bias, sizeof(float) * out);
        else
          std::fill(row, row + out, 0.f);
      } else if (bias != nullptr) {
        for (int j = 0; j < out; ++j) row[j] += bias[j];
      }
    }
    cpu::sgemm(true, rows, out, in, 1.f, x, in, weight.f32, in, 1.f, y, out);
    if (epilogue != Epilogue::Activate) return;
    pool_.run([&](int part, int parts) {
      int begin = 0, end = 0;
      partRange(rows * out, part, parts, 64, begin, end);
      activate(k_, c_.activation, y + begin, end - begin);
    });
  }

  // Rows [begin, end) of a prefill over bf16 weights (panels): blocks of
  // kWidenRows rows widened into this thread's buffer (in L2) as plain rows,
  // then the float32 gemmRows over them, so a prefill computes with exactly the weights a decode
  // step reads.
  void gemmRowsBf16(int part, const uint16_t* w, const float* x, int rows, const float* bias,
                    float* y, int out, int in, int begin, int end, bool add) {
    float* block = s_.expanded.data() + static_cast<size_t>(part) * widenedFloats();
    for (int t = 0; t < rows; t += kTokenChunk) {
      const int tokens = std::min(kTokenChunk, rows - t);
      const size_t at = static_cast<size_t>(t);
      for (int r = begin; r < end; r += kWidenRows) {
        const int count = std::min(kWidenRows, end - r);
        k_.widenBf16Rows(w, in, r, count, block);
        k_.gemmRows(block, x + at * in, tokens, bias != nullptr ? bias + r : nullptr,
                    y + at * out + r, out, in, 0, count, add);
      }
    }
  }

  size_t widenedFloats() const {
    return static_cast<size_t>(kWidenRows) * static_cast<size_t>(std::max(embd_, inner_));
  }

  // Causal attention of the n new queries over positions [0, past + n) of the
  // cache, after appending the new keys and values; into scratch.context.
  void attention(int l) {
    const OpTimer timer(profile_, Op::Attention);
    float* keys = cache_.keys[l].data_ptr<float>();
    float* values = cache_.values[l].data_ptr<float>();
    const size_t headStride = static_cast<size_t>(cache_.capacity) * headDim_;
    for (int i = 0; i < n_; ++i) {
      const float* row = s_.qkv.data() + static_cast<size_t>(i) * 3 * embd_;
      for (int h = 0; h < heads_; ++h) {
        const size_t at = h * headStride + static_cast<size_t>(past_ + i) * headDim_;
        std::memcpy(keys + at, row + embd_ + h * headDim_, sizeof(float) * headDim_);
        std::memcpy(values + at, row + 2 * embd_ + h * headDim_, sizeof(float) * headDim_);
      }
    }
    float scale = 1.f / std::sqrt(static_cast<float>(headDim_));
    if (c_.scaleAttnByInverseLayerIdx) scale /= static_cast<float>(l + 1);
    // Blocks of kQueryBlock queries of one head, split over the threads, each
    // thread with its scores rows: causal (a query reads only the keys before
    // it), each key and value row read once per block rather than once per
    // query. With an attention tap each thread takes whole heads: one writer
    // per head's sums.
    const int blocks = (n_ + kQueryBlock - 1) / kQueryBlock;
    const bool tapping = cache_.tap != nullptr;
    pool_.run([&](int part, int parts) {
      int begin = 0, end = 0;
      if (tapping) {
        partRange(heads_, part, parts, 1, begin, end);
        begin *= blocks;
        end *= blocks;
      } else {
        partRange(heads_ * blocks, part, parts, 1, begin, end);
      }
      float* scores = s_.scores.data() + static_cast<size_t>(part) * scoresPerThread();
      for (int unit = begin; unit < end; ++unit) {
        const int h = unit / blocks, first = unit % blocks * kQueryBlock;
        attendBlock(l, h, first, std::min(kQueryBlock, n_ - first), keys + h * headStride,
                    values + h * headStride, scale, scores);
      }
    });
  }

  // Queries [first, first + queries) of head h into scratch.context: their
  // scores over the keys all of them see, each row's softmax over its own
  // causal span, then the weighted sums over the shared keys for the block and
  // over each query's last few keys (those of its block's earlier queries) on
  // its own, continuing the same sums: the numbers do not depend on the block.
  void attendBlock(int l, int h, int first, int queries, const float* keys, const float* values,
                   float scale, float* scores) const {
    const int shared = past_ + first + 1;   // the keys of the block's first query
    const int span = shared + queries - 1;  // and of its last
    const size_t ld = static_cast<size_t>(cache_.capacity);
    const float* q = s_.qkv.data() + static_cast<size_t>(first) * 3 * embd_ + h * headDim_;
    float* out = s_.context.data() + static_cast<size_t>(first) * embd_ + h * headDim_;
    k_.scores(q, 3 * embd_, queries, keys, span, headDim_, scale, scores, static_cast<int>(ld));
    for (int b = 0; b < queries; ++b) {
      float* row = scores + static_cast<size_t>(b) * ld;
      softmaxRow(k_, row, shared + b, liveKeys(l, h));
      tapWeights(l, h, past_ + first + b, row, shared + b);
    }
    k_.weightedSum(scores, static_cast<int>(ld), queries, values, shared, headDim_, out, embd_,
                   false);
    for (int b = 1; b < queries; ++b) {
      k_.weightedSum(scores + static_cast<size_t>(b) * ld + shared, static_cast<int>(ld), 1,
                     values + static_cast<size_t>(shared) * headDim_, b, headDim_,
                     out + static_cast<size_t>(b) * embd_, embd_, true);
    }
  }

  size_t scoresPerThread() const {
    return static_cast<size_t>(kQueryBlock) * static_cast<size_t>(cache_.capacity);
  }

  // Eviction's hooks (model/attention_hooks.h): which keys are live, and where
  // the attention weights are summed.
  const uint8_t* liveKeys(int l, int h) const {
    return cache_.keyMask != nullptr ? cache_.keyMask->row(l, h) : nullptr;
  }
  void tapWeights(int l, int h, int position, const float* weights, int count) const {
    AttentionTap* tap = cache_.tap;
    if (tap == nullptr || position < tap->fromPosition) return;
    float* sums = tap->row(l, h);
    for (int j = 0; j < count; ++j) sums[j] += weights[j];
  }

  const ModelConfig& c_;
  const cpu::WeightView& w_;
  const cpu::Kernels& k_;
  cpu::WorkerPool& pool_;
  KVCache::Impl& cache_;
  cpu::Scratch& s_;
  const int n_, past_, embd_, heads_, headDim_, inner_;
  cpu::OpTimes* profile_;
};

}  // namespace

const float* Model::Impl::forwardHiddenCpu(KVCache::Impl& cache, const int* ids, int n) const {
  CpuForward pass(*this, cache, n);
  pass.hidden(ids);
  cache.tokens.insert(cache.tokens.end(), ids, ids + n);
  return cache.scratch.hidden.data();
}

const float* Model::Impl::forwardCpu(KVCache::Impl& cache, const int* ids, int n,
                                     bool allLogits) const {
  CpuForward pass(*this, cache, n);
  pass.hidden(ids);
  cache.tokens.insert(cache.tokens.end(), ids, ids + n);
  return pass.logits(allLogits);
}

}  // namespace kvr
