#include "signpost/util/Assets.hpp"
#include "signpost/Error.hpp"

#include <cstdlib>

namespace signpost::assets {

std::filesystem::path dir() {
    if (const char* env = std::getenv("SIGNPOST_ASSETS"); env && *env) return env;
#ifdef SIGNPOST_DEFAULT_ASSETS_DIR
    if (std::filesystem::is_directory(SIGNPOST_DEFAULT_ASSETS_DIR)) return SIGNPOST_DEFAULT_ASSETS_DIR;
#endif
    return std::filesystem::current_path() / "assets";
}

std::filesystem::path path(const std::filesystem::path& relative) {
    auto full = dir() / relative;
    if (!std::filesystem::exists(full))
        throw Error::io("asset " + relative.string() + " not found under " + dir().string() +
                        " (set SIGNPOST_ASSETS to the assets folder)");
    return full;
}

} // namespace signpost::assets
