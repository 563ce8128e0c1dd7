#include "container/sync.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "hull/error.hpp"
#include "hull/log.hpp"

namespace hull::container {

namespace {
constexpr size_t max_message = 64 * 1024;
}

void SyncChannel::send(Message type, const std::string& payload) const {
    std::vector<char> buffer(sizeof(uint32_t) + payload.size());
    const auto raw = static_cast<uint32_t>(type);
    std::memcpy(buffer.data(), &raw, sizeof raw);
    std::memcpy(buffer.data() + sizeof raw, payload.data(), payload.size());
    while (::send(fd_, buffer.data(), buffer.size(), MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) throw_errno("sync with container process: send");
    }
}

std::pair<Message, std::string> SyncChannel::receive() const {
    for (;;) {
        // The message's length first (MSG_PEEK | MSG_TRUNC), then exactly that: the init runs
        // this under the container's memory limit, and a buffer sized for the largest message
        // would be pages it touches for nothing.
        ssize_t n;
        while ((n = ::recv(fd_, nullptr, 0, MSG_PEEK | MSG_TRUNC)) < 0) {
            if (errno != EINTR) throw_errno("sync with container process: receive");
        }
        if (n == 0) throw Error("container process exited during setup");
        std::string buffer(std::min(static_cast<size_t>(n), max_message), '\0');  // longer ones are cut, as before
        while ((n = ::recv(fd_, buffer.data(), buffer.size(), 0)) < 0) {
            if (errno != EINTR) throw_errno("sync with container process: receive");
        }
        if (n == 0) throw Error("container process exited during setup");
        if (static_cast<size_t>(n) < sizeof(uint32_t)) throw Error("sync with container process: short message");
        uint32_t raw = 0;
        std::memcpy(&raw, buffer.data(), sizeof raw);
        std::string payload = buffer.substr(sizeof raw, static_cast<size_t>(n) - sizeof raw);
        if (static_cast<Message>(raw) != Message::Log) return {static_cast<Message>(raw), std::move(payload)};
        log::replay(payload);
    }
}

std::string SyncChannel::expect(Message type, const char* what) const {
    auto [received, payload] = receive();
    if (received == Message::Failed) throw Error(payload);
    if (received != type) {
        throw Error(std::string("sync with container process: unexpected message while waiting for ") + what);
    }
    return payload;
}

void forward_log(int fd) {
    log::forward_to([fd](const std::string& record) { SyncChannel(fd).send(Message::Log, record); });
}

}  // namespace hull::container
