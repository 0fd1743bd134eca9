#include "cache/zstd.hpp"

#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <zstd.h>

#include <cerrno>
#include <vector>

#include <unistd.h>

namespace xenbuild::cache::detail {

struct ZstdWriter::Impl {
    int fd = -1;
    std::string what;
    ZSTD_CCtx* context = nullptr;
    std::vector<char> out = std::vector<char>(ZSTD_CStreamOutSize());

    void drain(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
        for (;;) {
            ZSTD_outBuffer buffer{out.data(), out.size(), 0};
            const std::size_t left = ZSTD_compressStream2(context, &buffer, &in, mode);
            if (ZSTD_isError(left) != 0) {
                throw StoreError("cannot compress " + what + ": " + ZSTD_getErrorName(left));
            }
            if (const auto error = util::tryWriteAll(fd, {out.data(), buffer.pos})) {
                errno = error.value();
                throwSystemError("cannot write", what);
            }
            const bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
            if (done) return;
        }
    }
};

ZstdWriter::ZstdWriter(int fd, int level, std::string what) : impl_(std::make_unique<Impl>()) {
    impl_->fd = fd;
    impl_->what = std::move(what);
    impl_->context = ZSTD_createCCtx();
    if (impl_->context == nullptr) throw StoreError("cannot start compressing " + impl_->what);
    ZSTD_CCtx_setParameter(impl_->context, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(impl_->context, ZSTD_c_checksumFlag, 1);
}

ZstdWriter::~ZstdWriter() {
    ZSTD_freeCCtx(impl_->context);
}

void ZstdWriter::write(const void* data, std::size_t length) {
    ZSTD_inBuffer in{data, length, 0};
    impl_->drain(in, ZSTD_e_continue);
}

void ZstdWriter::finish() {
    ZSTD_inBuffer in{nullptr, 0, 0};
    impl_->drain(in, ZSTD_e_end);
}

struct ZstdReader::Impl {
    int fd = -1;
    std::string what;
    ZSTD_DCtx* context = nullptr;
    std::vector<char> in = std::vector<char>(ZSTD_DStreamInSize());
    ZSTD_inBuffer input{in.data(), 0, 0};
    bool inputEnded = false;
    bool frameEnded = false;

    [[noreturn]] void fail(const std::string& problem) const {
        throw StoreError("cannot decompress " + what + ": " + problem);
    }

    void refill() {
        for (;;) {
            const ssize_t got = ::read(fd, in.data(), in.size());
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throwSystemError("cannot read", what);
            input = ZSTD_inBuffer{in.data(), static_cast<std::size_t>(got), 0};
            inputEnded = got == 0;
            return;
        }
    }
};

ZstdReader::ZstdReader(int fd, std::string what) : impl_(std::make_unique<Impl>()) {
    impl_->fd = fd;
    impl_->what = std::move(what);
    impl_->context = ZSTD_createDCtx();
    if (impl_->context == nullptr) throw StoreError("cannot start decompressing " + impl_->what);
    // A window over 128 MiB (--long) is refused rather than allocated for hostile input.
    ZSTD_DCtx_setParameter(impl_->context, ZSTD_d_windowLogMax, 27);
}

ZstdReader::~ZstdReader() {
    ZSTD_freeDCtx(impl_->context);
}

std::size_t ZstdReader::read(void* data, std::size_t length) {
    auto& s = *impl_;
    if (length == 0) return 0;
    for (;;) {
        if (s.frameEnded) {
            // Anything after the frame is refused.
            if (s.input.pos == s.input.size && !s.inputEnded) s.refill();
            if (s.input.pos != s.input.size) s.fail("data after the end of the stream");
            return 0;
        }
        if (s.input.pos == s.input.size && !s.inputEnded) s.refill();
        ZSTD_outBuffer out{data, length, 0};
        const std::size_t hint = ZSTD_decompressStream(s.context, &out, &s.input);
        if (ZSTD_isError(hint) != 0) s.fail(ZSTD_getErrorName(hint));
        if (hint == 0) s.frameEnded = true;
        if (out.pos > 0) return out.pos;
        if (s.inputEnded && s.input.pos == s.input.size && !s.frameEnded) s.fail("truncated");
    }
}

} // namespace xenbuild::cache::detail
