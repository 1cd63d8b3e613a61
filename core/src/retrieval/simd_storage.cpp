#include "retrieval/simd_storage.h"

#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/FaissAssert.h>
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "io/mapped_file.h"
#include "model/cpu/kernels.h"

namespace kvr {
namespace {

// Inner products of the query with stored vectors (faiss calls similarities
// "distances" too; an HNSW graph negates them itself for inner product).
struct SimdIPDistance : faiss::FlatCodesDistanceComputer {
  SimdIPDistance(const SimdFlatIP& index)
      : FlatCodesDistanceComputer(index.codes.data(), index.code_size),
        dimension(static_cast<int>(index.d)),
        kernels(cpu::bestKernels()) {}

  void set_query(const float* x) override { query = x; }
  float distance_to_code(const uint8_t* code) override {
    return dot(query, reinterpret_cast<const float*>(code));
  }
  float symmetric_dis(idx_t i, idx_t j) override { return dot(vector(i), vector(j)); }

  const float* vector(idx_t i) const {
    return reinterpret_cast<const float*>(codes + static_cast<size_t>(i) * code_size);
  }
  float dot(const float* a, const float* b) const {
    float out = 0;
    kernels.scores(a, dimension, 1, b, 1, dimension, 1.f, &out, 1);
    return out;
  }

  const float* query = nullptr;
  int dimension;
  const cpu::Kernels& kernels;
};

// IEEE half to float, for CPUs without F16C.
float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    exponent = 113;
    while ((mantissa & 0x400u) == 0) mantissa <<= 1, --exponent;
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float dotHalfGeneric(const float* q, const uint16_t* v, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += q[i] * halfToFloat(v[i]);
  return s;
}

__attribute__((target("avx2,fma,f16c"))) float dotHalfF16c(const float* q, const uint16_t* v,
                                                           int n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)));
    const __m256 b = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i + 8)));
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), a, s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), b, s1);
  }
  s0 = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float s = _mm_cvtss_f32(h);
  for (; i < n; ++i) s += q[i] * halfToFloat(v[i]);
  return s;
}

float dotHalvesGeneric(const uint16_t* a, const uint16_t* b, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += halfToFloat(a[i]) * halfToFloat(b[i]);
  return s;
}

__attribute__((target("avx2,fma,f16c"))) float dotHalvesF16c(const uint16_t* a, const uint16_t* b,
                                                             int n) {
  __m256 s0 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256 y = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    s0 = _mm256_fmadd_ps(x, y, s0);
  }
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float s = _mm_cvtss_f32(h);
  for (; i < n; ++i) s += halfToFloat(a[i]) * halfToFloat(b[i]);
  return s;
}

// The query (fp32) with a stored vector, and two stored vectors (graph building).
struct HalfDots {
  float (*query)(const float*, const uint16_t*, int);
  float (*stored)(const uint16_t*, const uint16_t*, int);
};

const HalfDots& bestHalfDots() {
  static const HalfDots generic{dotHalfGeneric, dotHalvesGeneric};
  static const HalfDots f16c{dotHalfF16c, dotHalvesF16c};
  static const bool fast = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                           __builtin_cpu_supports("f16c") &&
                           cpu::bestKernels().name != std::string("generic");
  return fast ? f16c : generic;
}

struct HalfIPDistance : faiss::FlatCodesDistanceComputer {
  explicit HalfIPDistance(const SimdHalfIP& index)
      : FlatCodesDistanceComputer(index.codeData(), index.code_size),
        dimension(static_cast<int>(index.d)),
        dots(bestHalfDots()) {}

  void set_query(const float* x) override { query = x; }
  float distance_to_code(const uint8_t* code) override {
    return dots.query(query, reinterpret_cast<const uint16_t*>(code), dimension);
  }
  float symmetric_dis(idx_t i, idx_t j) override { return dots.stored(row(i), row(j), dimension); }
  const uint16_t* row(idx_t i) const {
    return reinterpret_cast<const uint16_t*>(codes + static_cast<size_t>(i) * code_size);
  }

  const float* query = nullptr;
  int dimension;
  const HalfDots& dots;
};

// The k best (highest) scores seen, best first at the end.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void offer(float score, faiss::Index::idx_t row) {
    if (heap_.size() < k_) {
      heap_.emplace_back(score, row);
      std::push_heap(heap_.begin(), heap_.end(), worse);
    } else if (score > heap_.front().first) {
      std::pop_heap(heap_.begin(), heap_.end(), worse);
      heap_.back() = {score, row};
      std::push_heap(heap_.begin(), heap_.end(), worse);
    }
  }
  // Best first; missing places as faiss fills them (-inf, -1).
  void write(float* scores, faiss::Index::idx_t* rows) {
    std::sort_heap(heap_.begin(), heap_.end(), worse);  // ascending by `worse`: best first
    for (size_t i = 0; i < k_; ++i) {
      const bool have = i < heap_.size();
      scores[i] = have ? heap_[i].first : -std::numeric_limits<float>::infinity();
      rows[i] = have ? heap_[i].second : -1;
    }
  }

 private:
  using Item = std::pair<float, faiss::Index::idx_t>;
  // The heap's top is the worst kept: higher score first, then the lower row.
  static bool worse(const Item& a, const Item& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  }
  size_t k_;
  std::vector<Item> heap_;
};

// Exhaustive top-k of n queries: scoreRows(query, first row, count, out)
// scores a block of rows, then the block goes through the top-k.
template <class ScoreRows>
void scanSearch(faiss::Index::idx_t n, const float* x, faiss::Index::idx_t d,
                faiss::Index::idx_t ntotal, faiss::Index::idx_t k, float* distances,
                faiss::Index::idx_t* labels, ScoreRows scoreRows) {
  using idx_t = faiss::Index::idx_t;
  constexpr idx_t kBlock = 256;
  std::vector<float> scores(static_cast<size_t>(std::min(ntotal, kBlock)));
  for (idx_t q = 0; q < n; ++q) {
    TopK top(static_cast<size_t>(k));
    for (idx_t start = 0; start < ntotal; start += kBlock) {
      const int count = static_cast<int>(std::min(kBlock, ntotal - start));
      scoreRows(x + q * d, start, count, scores.data());
      for (int i = 0; i < count; ++i) top.offer(scores[static_cast<size_t>(i)], start + i);
    }
    top.write(distances + q * k, labels + q * k);
  }
}

// Moves the stored codes of `from` into the empty `into`, leaving `from` empty.
void moveCodes(faiss::IndexFlatCodes& from, faiss::IndexFlatCodes& into) {
  into.codes.swap(from.codes);
  into.ntotal = from.ntotal;
  from.ntotal = 0;
}

}  // namespace

SimdFlatIP::SimdFlatIP(idx_t dimension) : faiss::IndexFlatIP(dimension) {}

std::unique_ptr<SimdFlatIP> SimdFlatIP::takeVectors(faiss::IndexFlat& plain) {
  auto fast = std::make_unique<SimdFlatIP>(plain.d);
  moveCodes(plain, *fast);
  return fast;
}

void SimdFlatIP::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                        const faiss::SearchParameters* params) const {
  if (params != nullptr) {  // a filter faiss knows how to apply
    faiss::IndexFlatIP::search(n, x, k, distances, labels, params);
    return;
  }
  const cpu::Kernels& kernels = cpu::bestKernels();
  const auto* base = reinterpret_cast<const float*>(codes.data());
  scanSearch(n, x, d, ntotal, k, distances, labels,
             [&](const float* q, idx_t start, int count, float* out) {
               kernels.scores(q, static_cast<int>(d), 1, base + start * d, count,
                              static_cast<int>(d), 1.f, out, count);
             });
}

faiss::FlatCodesDistanceComputer* SimdFlatIP::get_FlatCodesDistanceComputer() const {
  return new SimdIPDistance(*this);
}

SimdHalfIP::SimdHalfIP(int dimension)
    : faiss::IndexScalarQuantizer(dimension, faiss::ScalarQuantizer::QT_fp16,
                                  faiss::METRIC_INNER_PRODUCT) {
  is_trained = true;  // fp16 codes have no parameters to learn
}

std::unique_ptr<SimdHalfIP> SimdHalfIP::takeCodes(faiss::IndexScalarQuantizer& plain) {
  if (plain.sq.qtype != faiss::ScalarQuantizer::QT_fp16 ||
      plain.metric_type != faiss::METRIC_INNER_PRODUCT) {
    return nullptr;
  }
  auto fast = std::make_unique<SimdHalfIP>(static_cast<int>(plain.d));
  moveCodes(plain, *fast);
  return fast;
}

void SimdHalfIP::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                        const faiss::SearchParameters* params) const {
  if (params != nullptr) {
    faiss::IndexScalarQuantizer::search(n, x, k, distances, labels, params);
    return;
  }
  const auto dot = bestHalfDots().query;
  const auto* base = reinterpret_cast<const uint16_t*>(codeData());
  scanSearch(n, x, d, ntotal, k, distances, labels,
             [&](const float* q, idx_t start, int count, float* out) {
               for (int i = 0; i < count; ++i) {
                 out[i] = dot(q, base + (start + i) * d, static_cast<int>(d));
               }
             });
}

faiss::FlatCodesDistanceComputer* SimdHalfIP::get_FlatCodesDistanceComputer() const {
  return new HalfIPDistance(*this);
}

float SimdHalfIP::innerProduct(const float* query, idx_t row) const {
  return bestHalfDots().query(
      query, reinterpret_cast<const uint16_t*>(codeData() + static_cast<size_t>(row) * code_size),
      static_cast<int>(d));
}

std::unique_ptr<SimdHalfIP> SimdHalfIP::overMapping(int dimension, idx_t rows,
                                                    std::shared_ptr<const io::MappedFile> file,
                                                    const uint8_t* codes) {
  auto index = std::make_unique<SimdHalfIP>(dimension);
  index->mapping_ = std::move(file);
  index->mappedCodes_ = codes;
  index->ntotal = rows;
  return index;
}

void SimdHalfIP::copyMappedCodes() {
  if (mappedCodes_ == nullptr) return;
  codes.assign(mappedCodes_, mappedCodes_ + static_cast<size_t>(ntotal) * code_size);
  mappedCodes_ = nullptr;
  mapping_.reset();
}

void SimdHalfIP::add(idx_t n, const float* x) {
  copyMappedCodes();
  faiss::IndexScalarQuantizer::add(n, x);
}

void SimdHalfIP::reset() {
  mappedCodes_ = nullptr;
  mapping_.reset();
  faiss::IndexScalarQuantizer::reset();
}

void SimdHalfIP::reconstruct(idx_t key, float* recons) const {
  reconstruct_n(key, 1, recons);
}

void SimdHalfIP::reconstruct_n(idx_t first, idx_t count, float* recons) const {
  FAISS_THROW_IF_NOT(first >= 0 && count >= 0 && first + count <= ntotal);
  sa_decode(count, codeData() + static_cast<size_t>(first) * code_size, recons);
}

size_t SimdHalfIP::remove_ids(const faiss::IDSelector& selector) {
  copyMappedCodes();
  return faiss::IndexScalarQuantizer::remove_ids(selector);
}

void SimdHalfIP::merge_from(faiss::Index& other, idx_t addId) {
  copyMappedCodes();
  if (auto* half = dynamic_cast<SimdHalfIP*>(&other)) half->copyMappedCodes();
  faiss::IndexScalarQuantizer::merge_from(other, addId);
}

}  // namespace kvr
