#pragma once
// faiss storages (flat fp32, and fp16 for graphs) whose inner products run on
// SIMD kernels chosen at run time. Debian's faiss is a generic build whose
// inner product is a scalar loop with one dependency chain (a 1024-float dot
// takes ~1.3 us here), and both a flat search and an HNSW graph over such a
// storage spend their time in it. Saved indexes stay plain faiss (written as
// IndexFlatIP / IndexScalarQuantizer); loading swaps these storages back in.
#include <faiss/IndexFlat.h>
#include <faiss/IndexScalarQuantizer.h>

#include <memory>

namespace kvr {
namespace io {
class MappedFile;
}

// fp32 vectors, the engine's dot kernels (model/cpu/kernels.h).
struct SimdFlatIP : faiss::IndexFlatIP {
  explicit SimdFlatIP(idx_t dimension);
  // Takes the vectors of `plain` (left empty).
  static std::unique_ptr<SimdFlatIP> takeVectors(faiss::IndexFlat& plain);

  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

// fp16 vectors (faiss's QT_fp16 codes: IEEE half, little-endian), converted
// on the fly (F16C): half the bytes a graph search reads per vector. The codes
// live in `codes`, or in a mapped file (a loaded graph: mapping 200 MB costs
// milliseconds where reading it into fresh memory costs most of a second);
// the first change copies mapped codes into `codes`.
struct SimdHalfIP : faiss::IndexScalarQuantizer {
  explicit SimdHalfIP(int dimension);
  // Takes the codes of an fp16, inner-product `plain` (left empty); null for other kinds.
  static std::unique_ptr<SimdHalfIP> takeCodes(faiss::IndexScalarQuantizer& plain);
  // `rows` codes at `codes`, inside `file` (kept mapped while they are used).
  static std::unique_ptr<SimdHalfIP> overMapping(int dimension, idx_t rows,
                                                 std::shared_ptr<const io::MappedFile> file,
                                                 const uint8_t* codes);

  const uint8_t* codeData() const { return mappedCodes_ != nullptr ? mappedCodes_ : codes.data(); }
  float innerProduct(const float* query, idx_t row) const;

  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
  void add(idx_t n, const float* x) override;
  void reset() override;
  void reconstruct(idx_t key, float* recons) const override;
  void reconstruct_n(idx_t first, idx_t count, float* recons) const override;
  size_t remove_ids(const faiss::IDSelector& selector) override;
  void merge_from(faiss::Index& other, idx_t addId = 0) override;

 private:
  void copyMappedCodes();  // before anything changes them
  std::shared_ptr<const io::MappedFile> mapping_;
  const uint8_t* mappedCodes_ = nullptr;
};

}  // namespace kvr
