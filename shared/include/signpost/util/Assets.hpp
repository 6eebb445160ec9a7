#pragma once
#include <filesystem>

namespace signpost::assets {

// Where assets/ lives: $SIGNPOST_ASSETS if set, else the source tree's assets/ baked in at build
// time, else ./assets next to the working directory.
std::filesystem::path dir();
std::filesystem::path path(const std::filesystem::path& relative);

} // namespace signpost::assets
