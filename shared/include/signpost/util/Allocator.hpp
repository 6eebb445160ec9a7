#pragma once
// Which malloc the process runs on. The executables link tcmalloc (SIGNPOST_TCMALLOC, CMake)
// in place of the C library's; a benchmark names the one it measured.
#include <string>

namespace signpost::allocator {

// "tcmalloc (gperftools 2.10)" when tcmalloc serves malloc, else "system malloc" (the C
// library's, or a sanitizer's).
std::string name();

// Whether tcmalloc serves malloc.
bool isTcmalloc();

} // namespace signpost::allocator
