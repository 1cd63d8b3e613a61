// The pickle machine for state dicts: opcodes, stack, marks and memo, within
// fixed limits. What the globals it meets build is in state_dict_globals.cpp.
#include "weights/state_dict_unpickler.h"

#include <cstring>
#include <utility>

#include "kvrecycle/error.h"

namespace kvr::pickle {
namespace {

// Limits far above any real state dict's pickle, far below what would exhaust memory.
constexpr size_t kMaxStack = size_t{1} << 20;
constexpr size_t kMaxMemo = size_t{1} << 22;
constexpr size_t kMaxObjects = size_t{1} << 24;
constexpr size_t kMaxString = size_t{1} << 20;
constexpr size_t kMaxGlobalName = 256;

// Opcodes (pickle protocols 2 to 4) that a state dict is written with.
enum Op : uint8_t {
  MARK = '(',
  STOP = '.',
  POP = '0',
  BININT = 'J',
  BININT1 = 'K',
  BININT2 = 'M',
  NONE = 'N',
  BINPERSID = 'Q',
  REDUCE = 'R',
  BINSTRING = 'T',
  SHORT_BINSTRING = 'U',
  BINUNICODE = 'X',
  APPEND = 'a',
  BUILD = 'b',
  GLOBAL = 'c',
  DICT = 'd',
  EMPTY_DICT = '}',
  APPENDS = 'e',
  BINGET = 'h',
  LONG_BINGET = 'j',
  LIST = 'l',
  EMPTY_LIST = ']',
  BINPUT = 'q',
  LONG_BINPUT = 'r',
  SETITEM = 's',
  TUPLE = 't',
  EMPTY_TUPLE = ')',
  SETITEMS = 'u',
  BINFLOAT = 'G',
  BINBYTES = 'B',
  SHORT_BINBYTES = 'C',
  PROTO = 0x80,
  TUPLE1 = 0x85,
  TUPLE2 = 0x86,
  TUPLE3 = 0x87,
  NEWTRUE = 0x88,
  NEWFALSE = 0x89,
  LONG1 = 0x8a,
  SHORT_BINUNICODE = 0x8c,
  BINUNICODE8 = 0x8d,
  STACK_GLOBAL = 0x93,
  MEMOIZE = 0x94,
  FRAME = 0x95,
};

// Names of the opcodes we refuse, so that the error says what the file wanted.
const char* refusedOpcodeName(uint8_t op) {
  switch (op) {
    case '1':
      return "POP_MARK";
    case '2':
      return "DUP";
    case 'F':
      return "FLOAT";
    case 'I':
      return "INT";
    case 'L':
      return "LONG";
    case 'P':
      return "PERSID";
    case 'S':
      return "STRING";
    case 'V':
      return "UNICODE";
    case 'g':
      return "GET";
    case 'i':
      return "INST";
    case 'o':
      return "OBJ";
    case 'p':
      return "PUT";
    case 0x81:
      return "NEWOBJ";
    case 0x82:
      return "EXT1";
    case 0x83:
      return "EXT2";
    case 0x84:
      return "EXT4";
    case 0x8b:
      return "LONG4";
    case 0x8e:
      return "BINBYTES8";
    case 0x8f:
      return "EMPTY_SET";
    case 0x90:
      return "ADDITEMS";
    case 0x91:
      return "FROZENSET";
    case 0x92:
      return "NEWOBJ_EX";
    case 0x96:
      return "BYTEARRAY8";
    case 0x97:
      return "NEXT_BUFFER";
    case 0x98:
      return "READONLY_BUFFER";
    default:
      return nullptr;
  }
}

std::string hexByte(uint8_t b) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

}  // namespace

const char* kindName(Kind kind) {
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::BigInt:
      return "big int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "string";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Global:
      return "global";
    case Kind::Storage:
      return "storage";
    case Kind::Tensor:
      return "tensor";
  }
  return "?";
}

StateDictUnpickler::StateDictUnpickler(const uint8_t* data, size_t size, std::string where)
    : data_(data), size_(size), where_(std::move(where)) {}

void StateDictUnpickler::fail(size_t at, const std::string& what) const {
  throw Error(where_ + ": pickle byte " + std::to_string(at) + ": " + what);
}

Ref StateDictUnpickler::make(Object object, size_t at) {
  if (objects_.size() >= kMaxObjects)
    fail(at, "more than " + std::to_string(kMaxObjects) + " objects");
  objects_.push_back(std::move(object));
  return static_cast<Ref>(objects_.size() - 1);
}

void StateDictUnpickler::push(Ref ref, size_t at) {
  if (stack_.size() >= kMaxStack) fail(at, "stack deeper than " + std::to_string(kMaxStack));
  stack_.push_back(ref);
}

Ref StateDictUnpickler::pop(size_t at) {
  if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size())) {
    fail(at, "stack underflow (corrupt pickle)");
  }
  const Ref r = stack_.back();
  stack_.pop_back();
  return r;
}

const Object& StateDictUnpickler::top(size_t at) const {
  if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size())) {
    fail(at, "stack underflow (corrupt pickle)");
  }
  return objects_[stack_.back()];
}

std::vector<Ref> StateDictUnpickler::popToMark(size_t at) {
  if (marks_.empty()) fail(at, "no MARK on the stack (corrupt pickle)");
  const size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<Ref> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
  stack_.resize(mark);
  return items;
}

Ref StateDictUnpickler::load(size_t& pos) {
  stack_.clear();
  marks_.clear();
  memo_.clear();
  const auto need = [&](size_t n, size_t at) {
    if (n > size_ - pos) fail(at, "pickle ends early (truncated file?)");
  };
  const auto readLe = [&](size_t n, size_t at) {
    need(n, at);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos + i]) << (8 * i);
    pos += n;
    return v;
  };
  const auto readString = [&](uint64_t length, size_t at) {
    if (length > kMaxString) fail(at, "string of " + std::to_string(length) + " bytes is too long");
    need(static_cast<size_t>(length), at);
    std::string s(reinterpret_cast<const char*>(data_ + pos), static_cast<size_t>(length));
    pos += static_cast<size_t>(length);
    return s;
  };
  const auto readLine = [&](size_t at) {
    const size_t start = pos;
    while (pos < size_ && data_[pos] != '\n') {
      if (pos - start >= kMaxGlobalName) fail(at, "global name is too long");
      ++pos;
    }
    if (pos >= size_) fail(at, "pickle ends early (truncated file?)");
    std::string s(reinterpret_cast<const char*>(data_ + start), pos - start);
    ++pos;  // the newline
    return s;
  };
  const auto makeInt = [&](int64_t v, size_t at) {
    Object o;
    o.kind = Kind::Int;
    o.integer = v;
    return make(std::move(o), at);
  };
  const auto makeString = [&](std::string s, size_t at) {
    Object o;
    o.kind = Kind::String;
    o.text = std::move(s);
    return make(std::move(o), at);
  };
  const auto makeContainer = [&](Kind kind, std::vector<Ref> items, size_t at) {
    Object o;
    o.kind = kind;
    o.items = std::move(items);
    return make(std::move(o), at);
  };
  const auto memoPut = [&](uint64_t index, size_t at) {
    if (memo_.size() >= kMaxMemo && memo_.count(static_cast<uint32_t>(index)) == 0) {
      fail(at, "memo larger than " + std::to_string(kMaxMemo));
    }
    if (stack_.empty()) fail(at, "memo of an empty stack");
    memo_[static_cast<uint32_t>(index)] = stack_.back();
  };
  const auto memoGet = [&](uint64_t index, size_t at) {
    const auto it = memo_.find(static_cast<uint32_t>(index));
    if (it == memo_.end()) fail(at, "memo entry " + std::to_string(index) + " is missing");
    push(it->second, at);
  };
  const auto addItems = [&](Ref target, const std::vector<Ref>& items, size_t at) {
    Object& o = objects_[target];
    if (o.kind == Kind::Dict) {
      if (items.size() % 2 != 0) fail(at, "SETITEMS with an odd number of items");
    } else if (o.kind != Kind::List) {
      fail(at, std::string("cannot add items to a ") + kindName(o.kind));
    }
    o.items.insert(o.items.end(), items.begin(), items.end());
  };

  if (pos >= size_) fail(pos, "no pickle where one was expected (truncated file?)");
  while (true) {
    const size_t at = pos;
    need(1, at);
    const uint8_t op = data_[pos++];
    switch (op) {
      case PROTO: {
        protocol_ = static_cast<int>(readLe(1, at));
        if (protocol_ < 2 || protocol_ > 5)
          fail(at, "pickle protocol " + std::to_string(protocol_) + " is not supported");
        break;
      }
      case FRAME:
        if (readLe(8, at) > size_ - pos) fail(at, "frame longer than the file (truncated file?)");
        break;  // frames only group opcodes; we read byte by byte anyway
      case STOP: {
        const Ref result = pop(at);
        if (!stack_.empty() || !marks_.empty()) fail(at, "items left on the stack at STOP");
        return result;
      }
      case MARK:
        if (marks_.size() >= kMaxStack) fail(at, "too many MARKs");
        marks_.push_back(stack_.size());
        break;
      case POP:
        pop(at);
        break;
      case NONE:
        push(make(Object{}, at), at);
        break;
      case NEWTRUE:
      case NEWFALSE: {
        Object o;
        o.kind = Kind::Bool;
        o.integer = op == NEWTRUE;
        push(make(std::move(o), at), at);
        break;
      }
      case BININT:
        push(makeInt(static_cast<int32_t>(static_cast<uint32_t>(readLe(4, at))), at), at);
        break;
      case BININT1:
        push(makeInt(static_cast<int64_t>(readLe(1, at)), at), at);
        break;
      case BININT2:
        push(makeInt(static_cast<int64_t>(readLe(2, at)), at), at);
        break;
      case LONG1: {
        const size_t n = static_cast<size_t>(readLe(1, at));
        need(n, at);
        const uint8_t* b = data_ + pos;
        pos += n;
        const bool negative = n > 0 && (b[n - 1] & 0x80) != 0;
        bool fits = true;  // bytes beyond 8 only repeat the sign
        for (size_t i = 8; i < n; ++i) fits &= b[i] == (negative ? 0xff : 0x00);
        if (n > 8) fits &= ((b[7] & 0x80) != 0) == negative;
        if (fits) {
          uint64_t v = negative ? ~uint64_t{0} : 0;
          for (size_t i = 0; i < n && i < 8; ++i) {
            v &= ~(uint64_t{0xff} << (8 * i));
            v |= static_cast<uint64_t>(b[i]) << (8 * i);
          }
          int64_t s;
          std::memcpy(&s, &v, sizeof s);
          push(makeInt(s, at), at);
        } else {
          Object o;
          o.kind = Kind::BigInt;
          o.text.assign(reinterpret_cast<const char*>(b), n);
          push(make(std::move(o), at), at);
        }
        break;
      }
      case BINFLOAT: {
        need(8, at);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | data_[pos + static_cast<size_t>(i)];
        pos += 8;
        Object o;
        o.kind = Kind::Float;
        std::memcpy(&o.real, &bits, sizeof bits);
        push(make(std::move(o), at), at);
        break;
      }
      case BINUNICODE:
      case BINBYTES:
        push(makeString(readString(readLe(4, at), at), at), at);
        break;
      case BINSTRING: {
        const int64_t length = static_cast<int32_t>(static_cast<uint32_t>(readLe(4, at)));
        if (length < 0) fail(at, "negative string length");
        push(makeString(readString(static_cast<uint64_t>(length), at), at), at);
        break;
      }
      case SHORT_BINUNICODE:
      case SHORT_BINSTRING:
      case SHORT_BINBYTES:
        push(makeString(readString(readLe(1, at), at), at), at);
        break;
      case BINUNICODE8:
        push(makeString(readString(readLe(8, at), at), at), at);
        break;
      case EMPTY_TUPLE:
        push(makeContainer(Kind::Tuple, {}, at), at);
        break;
      case TUPLE1:
      case TUPLE2:
      case TUPLE3: {
        std::vector<Ref> items(static_cast<size_t>(op - TUPLE1 + 1));
        for (size_t i = items.size(); i-- > 0;) items[i] = pop(at);
        push(makeContainer(Kind::Tuple, std::move(items), at), at);
        break;
      }
      case TUPLE:
        push(makeContainer(Kind::Tuple, popToMark(at), at), at);
        break;
      case EMPTY_LIST:
        push(makeContainer(Kind::List, {}, at), at);
        break;
      case LIST:
        push(makeContainer(Kind::List, popToMark(at), at), at);
        break;
      case EMPTY_DICT:
        push(makeContainer(Kind::Dict, {}, at), at);
        break;
      case DICT: {
        std::vector<Ref> items = popToMark(at);
        if (items.size() % 2 != 0) fail(at, "DICT with an odd number of items");
        push(makeContainer(Kind::Dict, std::move(items), at), at);
        break;
      }
      case APPEND: {
        const Ref value = pop(at);
        const Ref list = pop(at);
        addItems(list, {value}, at);
        push(list, at);
        break;
      }
      case SETITEM: {
        const Ref value = pop(at);
        const Ref key = pop(at);
        const Ref dict = pop(at);
        if (objects_[dict].kind != Kind::Dict)
          fail(at, "SETITEM on a " + std::string(kindName(objects_[dict].kind)));
        addItems(dict, {key, value}, at);
        push(dict, at);
        break;
      }
      case APPENDS:
      case SETITEMS: {
        const std::vector<Ref> items = popToMark(at);
        const Ref target = pop(at);
        const Kind want = op == APPENDS ? Kind::List : Kind::Dict;
        if (objects_[target].kind != want) {
          fail(at, std::string(op == APPENDS ? "APPENDS" : "SETITEMS") + " on a " +
                       kindName(objects_[target].kind));
        }
        addItems(target, items, at);
        push(target, at);
        break;
      }
      case BINPUT:
        memoPut(readLe(1, at), at);
        break;
      case LONG_BINPUT:
        memoPut(readLe(4, at), at);
        break;
      case MEMOIZE:
        memoPut(memo_.size(), at);
        break;
      case BINGET:
        memoGet(readLe(1, at), at);
        break;
      case LONG_BINGET:
        memoGet(readLe(4, at), at);
        break;
      case GLOBAL: {
        const std::string module = readLine(at);
        const std::string name = readLine(at);
        push(global(module, name, at), at);
        break;
      }
      case STACK_GLOBAL: {
        const Ref name = pop(at);
        const Ref module = pop(at);
        push(global(stringArg(module, "global module", at), stringArg(name, "global name", at), at),
             at);
        break;
      }
      case REDUCE: {
        const Ref args = pop(at);
        const Ref callable = pop(at);
        push(reduce(callable, args, at), at);
        break;
      }
      case BUILD: {
        // Only an OrderedDict's instance state (a state dict's _metadata), which we ignore.
        const Ref state = pop(at);
        const Object& target = top(at);
        if (target.kind != Kind::Dict || objects_[state].kind != Kind::Dict) {
          fail(at, std::string("BUILD of a ") + kindName(target.kind) + " from a " +
                       kindName(objects_[state].kind) + " is not part of a state dict");
        }
        break;
      }
      case BINPERSID:
        push(persistentLoad(pop(at), at), at);
        break;
      default: {
        const char* name = refusedOpcodeName(op);
        fail(at, "opcode " + hexByte(op) + (name ? std::string(" (") + name + ")" : std::string()) +
                     " is not allowed in a state dict");
      }
    }
  }
}

}  // namespace kvr::pickle
