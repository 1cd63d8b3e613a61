// libFuzzer harness: the torch.save parsers (kvr::parseTorchZipSave for the
// zip format, kvr::parseLegacyTorchSave for the legacy one) and their bounded
// unpickler, on a whole file in memory. A file that parses must describe
// tensors whose every reachable element lies inside a storage that lies
// inside the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "kvrecycle/error.h"
#include "weights/torch_legacy_format.h"
#include "weights/torch_zip_format.h"
#include "weights/weights_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kvr::TorchCheckpoint checkpoint;
  try {
    // Zip by its magic; everything else goes to the legacy parser, which must refuse garbage.
    if (kvr::detectWeightsFormat(data, size) == kvr::WeightsFileFormat::TorchZip) {
      checkpoint = kvr::parseTorchZipSave(data, size, "fuzz");
    } else {
      checkpoint = kvr::parseLegacyTorchSave(data, size, "fuzz");
    }
  } catch (const kvr::Error&) {
    return 0;
  }
  for (const auto& [key, storage] : checkpoint.storages) {
    const uint64_t bytes = storage.numel * kvr::dtypeSize(storage.dtype);
    if (storage.dataOffset > size || bytes > size - storage.dataOffset) std::abort();
    if (bytes > 0) {  // touch the first and last byte, as a reader of the data would
      volatile uint8_t sink = data[storage.dataOffset];
      sink = data[storage.dataOffset + bytes - 1];
      (void)sink;
    }
  }
  for (const auto& t : checkpoint.tensors) {
    const auto it = checkpoint.storages.find(t.storageKey);
    if (it == checkpoint.storages.end() || it->second.dtype != t.dtype) std::abort();
    if (t.shape.size() != t.strides.size() || t.storageOffset < 0) std::abort();
    bool empty = false;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0 || t.strides[d] < 0) std::abort();
      if (t.shape[d] == 0) empty = true;
    }
    // The last reachable element (of a non-empty tensor) is inside the storage.
    uint64_t last = static_cast<uint64_t>(t.storageOffset);
    if (!empty) {
      for (size_t d = 0; d < t.shape.size(); ++d) {
        last += static_cast<uint64_t>(t.shape[d] - 1) * static_cast<uint64_t>(t.strides[d]);
      }
      if (last >= it->second.numel) std::abort();
    } else if (last > it->second.numel) {
      std::abort();
    }
  }
  return 0;
}
