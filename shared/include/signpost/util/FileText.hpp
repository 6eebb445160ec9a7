#pragma once
// A file's bytes, read-only. A large file is mapped into memory rather than copied: its pages
// come from the page cache as the reader reaches them, so reading can begin at once and no heap
// copy of the whole file is made. A small one is read into a string.
//
// A mapped file must not be truncated while it is read (the reader would fault on the missing
// pages): the importer reads feeds that were written before it started.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace signpost::util {

class FileText {
  public:
    // From this size up a file is mapped.
    static constexpr size_t kMapFromBytes = 1024 * 1024;

    // The file's bytes, or nullopt with `why` saying what failed (the system's message).
    static std::optional<FileText> read(const std::filesystem::path& file, std::string& why,
                                        size_t mapFrom = kMapFromBytes);

    FileText(FileText&& other) noexcept;
    FileText& operator=(FileText&& other) noexcept;
    FileText(const FileText&) = delete;
    FileText& operator=(const FileText&) = delete;
    ~FileText();

    std::string_view view() const { return m_map ? std::string_view(m_map, m_mapBytes) : std::string_view(m_text); }
    size_t size() const { return view().size(); }
    bool mapped() const { return m_map != nullptr; }

  private:
    FileText() = default;
    void release() noexcept;

    std::string m_text;          // a small file's bytes
    const char* m_map = nullptr; // a large file's mapping
    size_t m_mapBytes = 0;
};

} // namespace signpost::util
