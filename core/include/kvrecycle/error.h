#pragma once
// The engine reports every failure as kvr::Error whose message names the file
// (and line, column or tensor) at fault, so front ends can print it verbatim.
#include <stdexcept>
#include <string>

namespace kvr {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kvr
