#pragma once
// A tiny HTTP/1.0 server on 127.0.0.1 for fetch tests: serves fixed bodies by path, counts
// requests, can fail the first N requests of a path with 503, and can send slowly (in chunks
// with a pause) so that a client can be interrupted mid-download, can add a huge header, and can
// stream a body without end (no Content-Length) until the client hangs up. It runs in one thread,
// handles one connection at a time, and stops itself in the destructor.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace xenbuild::testing {

class HttpServer {
  public:
    HttpServer() {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(listener_, 16) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~HttpServer() {
        stop_ = true;
        thread_.join();
        ::close(listener_);
    }
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    void serve(const std::string& path, std::string body) {
        std::lock_guard lock(mutex_);
        bodies_[path] = std::move(body);
    }
    void failFirst(const std::string& path, int count) {
        std::lock_guard lock(mutex_);
        failures_[path] = count;
    }
    // Sends bodies in chunks of `chunk` bytes with `pause` between them (0: all at once).
    void setSlow(std::size_t chunk, std::chrono::milliseconds pause) {
        chunk_ = chunk;
        pauseMs_ = pause.count();
    }
    // Adds `header` (a complete "Name: value" text, or any bytes) to every response's head.
    void setExtraHeader(std::string header) {
        std::lock_guard lock(mutex_);
        extraHeader_ = std::move(header);
    }
    // Answers `path` with 200 and an endless body of 'x' (close-delimited, no Content-Length).
    void serveEndless(const std::string& path) {
        std::lock_guard lock(mutex_);
        endless_[path] = true;
    }
    int requests(const std::string& path) {
        std::lock_guard lock(mutex_);
        return counts_[path];
    }
    std::size_t bytesSent() const { return sent_; }

  private:
    void serve() {
        while (!stop_) {
            pollfd pfd{listener_, POLLIN, 0};
            if (::poll(&pfd, 1, 50) <= 0) continue;
            const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            handle(client);
            ::close(client);
        }
    }

    std::string readRequestPath(int client) {
        std::string request;
        char buffer[4096];
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
            pollfd pfd{client, POLLIN, 0};
            if (::poll(&pfd, 1, 2000) <= 0) return {};
            const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
            if (n <= 0) return {};
            request.append(buffer, static_cast<std::size_t>(n));
        }
        const auto start = request.find(' ') + 1;
        return request.substr(start, request.find(' ', start) - start);
    }

    bool sendAll(int client, const char* data, std::size_t size) {
        while (size > 0) {
            const ssize_t n = ::send(client, data, size, MSG_NOSIGNAL);
            if (n <= 0) return false;
            data += n;
            size -= static_cast<std::size_t>(n);
            sent_ += static_cast<std::size_t>(n);
        }
        return true;
    }

    void handle(int client) {
        const std::string path = readRequestPath(client);
        std::string body;
        std::string status = "200 OK";
        std::string extra;
        bool endless = false;
        {
            std::lock_guard lock(mutex_);
            ++counts_[path];
            extra = extraHeader_.empty() ? "" : extraHeader_ + "\r\n";
            endless = endless_[path];
            if (failures_[path] > 0) {
                --failures_[path];
                status = "503 Service Unavailable";
            } else if (auto found = bodies_.find(path); found != bodies_.end()) {
                body = found->second;
            } else {
                status = "404 Not Found";
            }
        }
        if (status[0] != '2') body = status + "\n";
        if (endless) {
            const std::string head = "HTTP/1.0 200 OK\r\n" + extra + "Connection: close\r\n\r\n";
            const std::string block(65536, 'x');
            if (!sendAll(client, head.data(), head.size())) return;
            while (!stop_ && sendAll(client, block.data(), block.size())) {
            }
            return;
        }
        const std::string head = "HTTP/1.0 " + status +
                                 "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
                                 extra + "Connection: close\r\n\r\n";
        if (!sendAll(client, head.data(), head.size())) return;
        const std::size_t chunk = chunk_ == 0 ? body.size() : chunk_.load();
        for (std::size_t offset = 0; offset < body.size() && !stop_; offset += chunk) {
            if (!sendAll(client, body.data() + offset, std::min(chunk, body.size() - offset))) {
                return;
            }
            if (pauseMs_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pauseMs_));
        }
    }

    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> chunk_{0};
    std::atomic<long> pauseMs_{0};
    std::atomic<std::size_t> sent_{0};
    std::mutex mutex_;
    std::map<std::string, std::string> bodies_;
    std::map<std::string, int> failures_;
    std::map<std::string, int> counts_;
    std::map<std::string, bool> endless_;
    std::string extraHeader_;
    std::thread thread_;
};

} // namespace xenbuild::testing
