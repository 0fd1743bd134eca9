#pragma once
// A real nginx (Debian's nginx-light) serving a directory on a free 127.0.0.1 port: GET, and PUT
// through the WebDAV module (`dav_methods PUT`), as a binary cache server. /broken/ answers 500.
// Started with a generated config in a temp dir (no daemon, one process, logs in the temp dir),
// stopped in the destructor. scripts/install-deps.sh installs nginx.

#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace xenbuild::testing {

class Nginx {
  public:
    explicit Nginx(std::filesystem::path root) : root_(std::move(root)) {
        std::filesystem::create_directories(root_);
        port_ = freePort();
        const auto dir = work_.path();
        std::string config = "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                             "pid " +
                             (dir / "nginx.pid").string() + ";\n" + "error_log " +
                             (dir / "error.log").string() + " info;\n";
        if (::geteuid() == 0) config += "user root;\n";
        config += "events { worker_connections 64; }\n"
                  "http {\n"
                  "  access_log " +
                  (dir / "access.log").string() + ";\n" + "  client_body_temp_path " +
                  (dir / "body").string() + ";\n" + "  proxy_temp_path " +
                  (dir / "proxy").string() + ";\n" + "  fastcgi_temp_path " +
                  (dir / "fastcgi").string() + ";\n" + "  uwsgi_temp_path " +
                  (dir / "uwsgi").string() + ";\n" + "  scgi_temp_path " + (dir / "scgi").string() +
                  ";\n" +
                  "  server {\n"
                  "    listen 127.0.0.1:" +
                  std::to_string(port_) + ";\n" + "    root " + root_.string() + ";\n" +
                  "    client_max_body_size 0;\n"
                  "    location / {\n"
                  "      dav_methods PUT;\n"
                  "      create_full_put_path on;\n"
                  "      dav_access user:rw group:r all:r;\n"
                  "    }\n"
                  "    location /broken/ { return 500; }\n"
                  "  }\n"
                  "}\n";
        writeFile(dir / "nginx.conf", config);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const std::string conf = (dir / "nginx.conf").string();
            const std::string prefix = dir.string() + "/";
            const std::string errorLog = (dir / "error.log").string();
            ::execl("/usr/sbin/nginx", "nginx", "-p", prefix.c_str(), "-e", errorLog.c_str(), "-c",
                    conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        waitUntilListening();
    }
    ~Nginx() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    Nginx(const Nginx&) = delete;
    Nginx& operator=(const Nginx&) = delete;

    std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    // Lines of the access log ("GET /nar/... HTTP/1.1" 200 ...) containing `needle`.
    std::size_t requests(const std::string& needle) const {
        std::ifstream in(work_.path() / "access.log");
        std::size_t count = 0;
        std::string line;
        while (std::getline(in, line)) {
            if (line.find(needle) != std::string::npos) ++count;
        }
        return count;
    }

  private:
    static int freePort() {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        socklen_t length = sizeof address;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        ::close(fd);
        return ntohs(address.sin_port);
    }

    void waitUntilListening() const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                throw std::runtime_error("nginx exited at start: " +
                                         readFile(work_.path() / "error.log"));
            }
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            address.sin_port = htons(static_cast<std::uint16_t>(port_));
            const bool up =
                ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
            ::close(fd);
            if (up) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        throw std::runtime_error("nginx did not start listening on port " + std::to_string(port_));
    }

    std::filesystem::path root_;
    TempDir work_;
    int port_ = 0;
    pid_t pid_ = -1;
};

} // namespace xenbuild::testing
