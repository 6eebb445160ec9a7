#include "TestSupport.hpp"

#include <fstream>
#include <random>
#include <sstream>

namespace signpost::test {

TempDir::TempDir() {
    std::random_device rd;
    auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate = base / ("signpost-test-" + std::to_string(rd()));
        if (std::filesystem::create_directory(candidate)) {
            m_path = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFile(const std::filesystem::path& path, const std::string& contents) {
    std::ofstream out(path, std::ios::binary);
    out << contents;
}

std::filesystem::path standardsDir() {
    if (const char* env = std::getenv("SIGNPOST_STANDARDS"); env && *env) return env;
    return SIGNPOST_STANDARDS_DIR;
}

std::filesystem::path sourceDir() { return SIGNPOST_SOURCE_DIR; }

} // namespace signpost::test
