// A minimal D-Bus client: the wire format (marshalling of the types systemd's Manager API needs),
// EXTERNAL authentication over a unix socket, method calls and waiting for a signal.
//
// Why hand-written and not sd-bus: hull talks to systemd in one place (a transient scope per
// container), needs only strings, integers, booleans, arrays, structs and variants, and must not
// pay for loading libsystemd on every verb; the encoding is unit-tested without a bus.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "hull/fd.hpp"

namespace hull::dbus {

enum class MessageType : uint8_t { MethodCall = 1, MethodReturn = 2, Error = 3, Signal = 4 };

// Appends values at D-Bus alignment (relative to the start of the message, which begins at
// offset 0 of the buffer), little-endian.
class Writer {
public:
    void byte(uint8_t value);
    void boolean(bool value);
    void u32(uint32_t value);
    void u64(uint64_t value);
    void string(const std::string& value);       // 's'
    void object_path(const std::string& value);  // 'o'
    void signature(const std::string& value);    // 'g'
    // An array: begin_array(alignment of the element type) ... end_array(the returned token).
    size_t begin_array(size_t element_alignment);
    void end_array(size_t token);
    void begin_struct() { align(8); }
    void align(size_t n);

    const std::string& data() const noexcept { return buf_; }
    std::string& data() noexcept { return buf_; }

private:
    std::string buf_;
};

// Reads values back (either byte order).
class Reader {
public:
    Reader(const std::string& data, size_t offset, bool big_endian) : data_(data), pos_(offset), big_endian_(big_endian) {}
    uint8_t byte();
    uint32_t u32();
    uint64_t u64();
    std::string string();     // 's' and 'o'
    std::string signature();  // 'g'
    void align(size_t n);
    // Skips one value of the single complete type `type` (basic types, arrays, structs, variants).
    void skip(const std::string& type);
    size_t position() const noexcept { return pos_; }

private:
    void need(size_t n) const;
    void skip(const std::string& type, unsigned depth);
    const std::string& data_;
    size_t pos_;
    bool big_endian_;
};

// A method call or a signal to send. `body` is the marshalled arguments, written with a Writer
// whose offset 0 is the start of the body (bodies start 8-aligned, so alignment is the same).
struct Call {
    std::string destination;
    std::string path;
    std::string interface;
    std::string member;
    std::string signature;  // of the body, "" for none
    std::string body;
};

// The complete message bytes for `call` with `serial`.
std::string encode_call(const Call& call, uint32_t serial);

struct Message {
    MessageType type = MessageType::MethodCall;
    bool big_endian = false;
    uint32_t serial = 0;
    uint32_t reply_serial = 0;
    std::string path, interface, member, error_name, signature, sender;
    std::string raw;          // the whole message
    size_t body_offset = 0;   // where the body starts in raw

    Reader body() const { return Reader(raw, body_offset, big_endian); }
    // For an error reply: "org.freedesktop.DBus.Error.X: text".
    std::string error_text() const;
};

// How many bytes of `buffer` the first complete message takes, 0 when more are needed. Throws on
// a malformed header.
size_t message_size(const std::string& buffer);
// Parses one complete message.
Message decode(const std::string& raw);

// A connection to a bus (or to systemd's private socket), authenticated with EXTERNAL.
class Connection {
public:
    // Connects to the unix socket at `socket_path`; `hello` sends org.freedesktop.DBus.Hello
    // (required on a message bus, not on a peer-to-peer socket).
    Connection(const std::string& socket_path, bool hello, std::chrono::milliseconds timeout);

    // Sends `call` and waits for its reply; an error reply throws hull::Error naming `what`.
    // Signals arriving meanwhile are kept for wait_signal().
    Message call(const Call& call, const std::string& what);
    // Waits until a signal matching `accept` arrives (checks the ones already received first).
    template <typename Accept>
    Message wait_signal(Accept accept, const std::string& what) {
        for (;;) {
            for (auto it = pending_signals_.begin(); it != pending_signals_.end(); ++it) {
                if (accept(*it)) {
                    Message found = std::move(*it);
                    pending_signals_.erase(it);
                    return found;
                }
            }
            pending_signals_.push_back(receive(what));
            if (pending_signals_.back().type != MessageType::Signal) pending_signals_.pop_back();
        }
    }

private:
    void send_all(const std::string& bytes, const std::string& what);
    Message receive(const std::string& what);
    std::string read_line(const std::string& what);

    UniqueFd fd_;
    std::string socket_path_;
    std::chrono::steady_clock::time_point deadline_;
    std::string inbox_;
    uint32_t next_serial_ = 1;
    std::vector<Message> pending_signals_;
};

}  // namespace hull::dbus
