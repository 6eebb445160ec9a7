#include "signpost/util/FileText.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace signpost::util {

namespace {
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string systemError(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}
} // namespace

std::optional<FileText> FileText::read(const std::filesystem::path& file, std::string& why, size_t mapFrom) {
    Fd f;
    f.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0) {
        why = systemError("cannot open");
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) {
        why = systemError("cannot read");
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        why = "is not a regular file";
        return std::nullopt;
    }
    FileText out;
    const auto size = static_cast<size_t>(st.st_size);
    if (size >= mapFrom && size > 0) {
        void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, f.fd, 0);
        if (map != MAP_FAILED) {
            // Read front to back (the importer walks it in order, two threads close behind).
            ::madvise(map, size, MADV_SEQUENTIAL);
            out.m_map = static_cast<const char*>(map);
            out.m_mapBytes = size;
            return out;
        }
        // A file system that cannot map: read it instead.
    }
    out.m_text.resize(size);
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::read(f.fd, out.m_text.data() + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            why = systemError("cannot read");
            return std::nullopt;
        }
        if (n == 0) break; // shorter than it was a moment ago
        done += static_cast<size_t>(n);
    }
    out.m_text.resize(done);
    return out;
}

FileText::FileText(FileText&& other) noexcept
    : m_text(std::move(other.m_text)), m_map(std::exchange(other.m_map, nullptr)),
      m_mapBytes(std::exchange(other.m_mapBytes, 0)) {}

FileText& FileText::operator=(FileText&& other) noexcept {
    if (this != &other) {
        release();
        m_text = std::move(other.m_text);
        m_map = std::exchange(other.m_map, nullptr);
        m_mapBytes = std::exchange(other.m_mapBytes, 0);
    }
    return *this;
}

FileText::~FileText() {
    release();
}

void FileText::release() noexcept {
    if (m_map) ::munmap(const_cast<char*>(m_map), m_mapBytes);
    m_map = nullptr;
    m_mapBytes = 0;
}

} // namespace signpost::util
