// Fuzz target: the NAR writer (store/nar.hpp; xenbuild has no NAR reader) on random trees.
//
// The input describes a tree, which is made in this process's scratch directory:
//   byte 0: the root: a directory (0), a regular file (1), an executable (2) or a symlink (3),
//           modulo 4; a file root's content (a link root's target) is the rest of the input;
//   then, for a directory root, records `op name-length name [payload]` with op modulo 5:
//           0 file, 1 executable file (payload: 2-byte little-endian length, bytes),
//           2 symlink (payload: 1-byte length, target), 3 directory (entered), 4 leave the
//           directory (no name). Names are any bytes but '/' and NUL.
// Checked: dumpNar gives exactly the bytes of a small independent serialiser written from the
// NAR format (sorted entries, padding, executable flag, links not followed), narHash is their
// sha256, and the hash reads back from each of its printed forms.

#include "fuzz/fuzz_support.hpp"
#include "xenbuild/store/nar.hpp"
#include "xenbuild/util/hash.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <sys/stat.h>

namespace {

using namespace xenbuild;
namespace fs = std::filesystem;

class Reader {
  public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const { return pos_ >= size_; }
    std::uint8_t byte() { return done() ? 0 : data_[pos_++]; }
    std::string bytes(std::size_t count) {
        count = std::min(count, size_ - std::min(pos_, size_));
        std::string out(reinterpret_cast<const char*>(data_ + pos_), count);
        pos_ += count;
        return out;
    }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

void makeFile(const fs::path& path, const std::string& content, bool executable) {
    fuzz::writeFile(path, content);
    ::chmod(path.c_str(), executable ? 0755 : 0644);
}

std::string entryName(Reader& in) {
    std::string name = in.bytes(std::max<std::size_t>(1, in.byte() % 16));
    for (char& c : name) {
        if (c == '/' || c == '\0') c = '_';
    }
    return name == "." || name == ".." ? std::string() : name;
}

void makeDirectoryTree(const fs::path& root, Reader& in) {
    fs::create_directory(root);
    fs::path dir = root;
    std::size_t depth = 0;
    for (int records = 0; !in.done() && records < 64; ++records) {
        const int op = in.byte() % 5;
        if (op == 4) {
            if (depth > 0) {
                dir = dir.parent_path();
                --depth;
            }
            continue;
        }
        const std::string name = entryName(in);
        const fs::path path = dir / name;
        const bool taken = name.empty() || fs::exists(fs::symlink_status(path));
        if (op == 0 || op == 1) {
            const std::size_t length = in.byte() | (std::size_t{in.byte()} << 8);
            const std::string content = in.bytes(length % 2048);
            if (!taken) makeFile(path, content, op == 1);
        } else if (op == 2) {
            std::string target = in.bytes(in.byte() % 64);
            std::replace(target.begin(), target.end(), '\0', '_');
            if (!taken && !target.empty()) fs::create_symlink(target, path);
        } else if (!taken && depth < 8) {
            fs::create_directory(path);
            dir = path;
            ++depth;
        }
    }
}

// The NAR format, from its definition (Eelco Dolstra's thesis, figure 5.2), independently of
// store/nar.cpp: strings are a 64-bit little-endian length, the bytes, zero padding to 8.
class ReferenceNar {
  public:
    std::string dump(const fs::path& path) {
        str("nix-archive-1");
        node(path);
        return out_;
    }

  private:
    void str(std::string_view s) {
        for (int i = 0; i < 8; ++i)
            out_.push_back(static_cast<char>((s.size() >> (8 * i)) & 0xff));
        out_.append(s);
        out_.append((8 - s.size() % 8) % 8, '\0');
    }

    void node(const fs::path& path) {
        str("(");
        str("type");
        const auto status = fs::symlink_status(path);
        if (fs::is_symlink(status)) {
            str("symlink");
            str("target");
            str(fs::read_symlink(path).native());
        } else if (fs::is_regular_file(status)) {
            str("regular");
            if ((status.permissions() & fs::perms::owner_exec) != fs::perms::none) {
                str("executable");
                str("");
            }
            str("contents");
            std::ifstream in(path, std::ios::binary);
            str(std::string(std::istreambuf_iterator<char>(in), {}));
        } else {
            str("directory");
            std::vector<std::string> names;
            for (const auto& entry : fs::directory_iterator(path))
                names.push_back(entry.path().filename().native());
            std::sort(names.begin(), names.end());
            for (const auto& name : names) {
                str("entry");
                str("(");
                str("name");
                str(name);
                str("node");
                node(path / name);
                str(")");
            }
        }
        str(")");
    }

    std::string out_;
};

void checkHashForms(const util::Hash& hash) {
    for (const std::string& form :
         {hash.sri(), hash.hex(), hash.nix32(), hash.base64(), "sha256:" + hash.nix32()}) {
        fuzz::check(util::Hash::parse(form) == hash, "the hash does not read back from " + form);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in(data, size);
    const fs::path base = fuzz::scratch() / "nar";
    fuzz::resetDir(base);
    const fs::path root = base / "root";
    const int kind = in.byte() % 4;
    const std::string rest = kind == 0 ? std::string() : in.bytes(size);
    if (kind == 0) {
        makeDirectoryTree(root, in);
    } else if (kind == 3) {
        if (rest.empty() || rest.find('\0') != std::string::npos) return 0;
        fs::create_symlink(rest, root);
    } else {
        makeFile(root, rest, kind == 2);
    }

    std::string nar;
    store::dumpNar(root, [&nar](const void* chunk, std::size_t length) {
        nar.append(static_cast<const char*>(chunk), length);
    });
    fuzz::check(nar == ReferenceNar().dump(root), "the NAR differs from the reference serialiser");
    const util::Hash hash = store::narHash(root);
    fuzz::check(hash == util::sha256(nar), "narHash is not the sha256 of the NAR");
    checkHashForms(hash);
    return 0;
}
