// Temporary gc roots of running processes (see the header).

#include "xenbuild/store/temp_roots.hpp"

#include "xenbuild/store/lock.hpp"
#include "xenbuild/store/store.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <cerrno>
#include <cstdio>
#include <random>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace xenbuild::store {

namespace {

fs::path rootsDir(const fs::path& storeDir) {
    return storeDir / "roots" / "temp";
}

// <pid>-<64 random bits>: a name is never used twice, so removing a stale file can never hit
// a live one that reused the name.
std::string uniqueName() {
    std::random_device random;
    const auto bits = (static_cast<unsigned long long>(random()) << 32) | random();
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", bits);
    return std::to_string(::getpid()) + "-" + text;
}

// Visits the root files: a file whose lock can be taken belongs to a dead process and is
// removed; the ids of the others are appended to `ids` when given.
void scan(const fs::path& storeDir, std::vector<std::string>* ids) {
    std::error_code error;
    for (const auto& item : fs::directory_iterator(rootsDir(storeDir), error)) {
        const fs::path& path = item.path();
        util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0) continue; // removed meanwhile
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
            ::unlink(path.c_str()); // stale: its owner is gone
            continue;
        }
        if (ids == nullptr) continue;
        std::string text;
        try {
            text = util::readFile(path);
        } catch (const Error&) {
            continue; // its owner finished meanwhile
        }
        std::istringstream lines(text);
        for (std::string id; std::getline(lines, id);) {
            if (!id.empty()) ids->push_back(id);
        }
    }
}

} // namespace

TempRoots::TempRoots(const Store& store) : storeDir_(store.dir()), gcLock_(store.lockPath("gc")) {
    std::error_code error;
    fs::create_directories(rootsDir(storeDir_), error);
    if (error) {
        throw StoreError("cannot create " + quote(rootsDir(storeDir_).string()) + ": " +
                         error.message());
    }
    sweepTempRoots(storeDir_);
    while (true) {
        path_ = rootsDir(storeDir_) / uniqueName();
        fd_.reset(::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (fd_.get() < 0) throwSystemError("cannot create temporary gc root", path_.string());
        while (::flock(fd_.get(), LOCK_EX) != 0) {
            if (errno != EINTR) throwSystemError("cannot lock", path_.string());
        }
        // A sweeper may have taken the fresh file for a stale one before we locked it.
        struct stat status {};
        if (::fstat(fd_.get(), &status) == 0 && status.st_nlink > 0) break;
    }
}

TempRoots::~TempRoots() {
    ::unlink(path_.c_str()); // while still locked: nobody else removes a live file
}

void TempRoots::add(const std::vector<std::string>& ids) {
    std::string text;
    for (const auto& id : ids)
        text += id + "\n";
    std::lock_guard guard(mutex_);
    auto gcLock = FileLock::acquire(gcLock_, FileLock::Mode::Shared);
    if (const auto error = util::tryWriteAll(fd_.get(), text)) {
        throw SystemError("cannot write temporary gc root " + quote(path_.string()) + ": " +
                          error.message());
    }
}

std::vector<std::string> liveTempRoots(const fs::path& storeDir) {
    std::vector<std::string> ids;
    scan(storeDir, &ids);
    return ids;
}

void sweepTempRoots(const fs::path& storeDir) {
    scan(storeDir, nullptr);
}

} // namespace xenbuild::store
