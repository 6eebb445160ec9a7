#pragma once
// Helpers shared by the doctest suites: real files in a per-test temporary directory.
#include "signpost/Error.hpp"
#include "signpost/db/Database.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

namespace signpost::test {

// A fresh directory under the system temp dir, removed when the object goes.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

std::string readFile(const std::filesystem::path& path);
void writeFile(const std::filesystem::path& path, const std::string& contents);
std::filesystem::path standardsDir();   // ../shared/standards beside the repo
std::filesystem::path sourceDir();

} // namespace signpost::test

