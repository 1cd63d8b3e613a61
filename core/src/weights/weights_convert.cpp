#include "kvrecycle/weights_convert.h"

#include <torch/serialize.h>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "kvrecycle/error.h"
#include "weights/weights_loader.h"

namespace kvr {

void convertWeights(const std::filesystem::path& from, const std::filesystem::path& to) {
  const std::string ext = to.extension().string();
  if (ext != ".bin" && ext != ".safetensors") {
    throw Error(to.string() + ": output must end in .safetensors or .bin");
  }
  const TensorMap tensors = readWeightTensors(from);
  if (ext == ".safetensors") {
    std::vector<TensorToWrite> out;
    for (const auto& [name, t] : tensors) {
      out.push_back({name, DType::F32, t.sizes().vec(), t.data_ptr<float>()});
    }
    writeSafetensors(to, out, {{"format", "pt"}});
    return;
  }
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, t] : tensors) dict.insert(name, t);
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  io::AtomicFile out(to);
  out.write(bytes.data(), bytes.size());
  out.commit();
}

}  // namespace kvr
