#include "signpost/util/Allocator.hpp"

#include <dlfcn.h>

namespace signpost::allocator {

namespace {
// tcmalloc's own entry points, if it is loaded (its C API: gperftools/tcmalloc.h).
using VersionFn = const char* (*)(int* major, int* minor, const char** patch);
} // namespace

bool isTcmalloc() {
    // Loaded is not enough: malloc itself must be the one the process calls.
    void* tcMalloc = dlsym(RTLD_DEFAULT, "tc_malloc");
    return tcMalloc != nullptr && dlsym(RTLD_DEFAULT, "malloc") == tcMalloc;
}

std::string name() {
    if (!isTcmalloc()) return "system malloc";
    auto version = reinterpret_cast<VersionFn>(dlsym(RTLD_DEFAULT, "tc_version"));
    int major = 0, minor = 0;
    const char* patch = nullptr;
    const char* text = version ? version(&major, &minor, &patch) : nullptr;
    return text ? "tcmalloc (" + std::string(text) + ")" : "tcmalloc";
}

} // namespace signpost::allocator
