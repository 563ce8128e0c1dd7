// The runtime ↔ container-process handshake over a SOCK_SEQPACKET socketpair.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace hull::container {

enum class Message : uint32_t {
    UserNamespaceReady = 1,  // child → runtime: write my id mappings
    MappingsWritten,         // runtime → child
    InitPid,                 // intermediate child → runtime: the container process's pid
    Go,                      // runtime → child: cgroups placed; payload: the container pid
    RunCreateRuntimeHooks,   // child → runtime: mounts done, before pivot_root
    HooksDone,               // runtime → child
    Ready,                   // child → runtime: waiting on the exec fifo
    Failed,                  // either way; payload: the error message
    Log,                     // child → runtime: a log record (log::forward_to), any time
};

class SyncChannel {
public:
    explicit SyncChannel(int fd) : fd_(fd) {}
    void send(Message type, const std::string& payload = "") const;
    // Throws on EOF or error. A Failed message from the peer is returned, not thrown; Log
    // messages are logged here (log::replay) and not returned.
    std::pair<Message, std::string> receive() const;
    // Receives and checks the type; a Failed message is rethrown as its text.
    std::string expect(Message type, const char* what) const;

private:
    int fd_;
};

// In a child of the runtime: its log records go to the runtime over `fd` (Message::Log).
void forward_log(int fd);

}  // namespace hull::container
