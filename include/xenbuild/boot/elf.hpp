#pragma once
// The ELF reader lives in util (util/elf.hpp) since the builder's checks read ELF headers too
// (the builder sits below boot); the boot test keeps using these names.

#include "xenbuild/util/elf.hpp"

namespace xenbuild::boot {

using util::ElfInfo;
using util::isElf;
using util::readElf;

} // namespace xenbuild::boot
