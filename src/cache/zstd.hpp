#pragma once
// zstd streams for NARs (libzstd; the one file of the cache module that uses it).

#include <cstddef>
#include <memory>
#include <string>

namespace xenbuild::cache::detail {

// Compresses what is written into the file descriptor `fd`.
class ZstdWriter {
  public:
    ZstdWriter(int fd, int level, std::string what);
    ~ZstdWriter();
    ZstdWriter(const ZstdWriter&) = delete;
    ZstdWriter& operator=(const ZstdWriter&) = delete;
    void write(const void* data, std::size_t length);
    void finish(); // ends the frame

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Decompresses one zstd frame read from `fd`. read() throws StoreError naming `what` for a
// corrupt or truncated stream or data after the frame.
class ZstdReader {
  public:
    ZstdReader(int fd, std::string what);
    ~ZstdReader();
    ZstdReader(const ZstdReader&) = delete;
    ZstdReader& operator=(const ZstdReader&) = delete;
    std::size_t read(void* data, std::size_t length); // 0 at the end of the frame

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace xenbuild::cache::detail
