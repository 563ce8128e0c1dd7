// The D-Bus wire format and a blocking client connection (see hull/dbus.hpp).
#include "cgroups/dbus.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "hull/error.hpp"

namespace hull::dbus {

namespace {

constexpr size_t max_message = 128u << 20;  // the spec's limit

enum HeaderField : uint8_t { Path = 1, Interface = 2, Member = 3, ErrorName = 4, ReplySerial = 5, Destination = 6, Sender = 7, Signature = 8 };

size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

size_t alignment_of(char type) {
    switch (type) {
        case 'y': case 'g': case 'v': return 1;
        case 'n': case 'q': return 2;
        case 'x': case 't': case 'd': case '(': case '{': return 8;
        default: return 4;  // b i u h s o a
    }
}

// Length of the single complete type starting at sig[i].
size_t complete_type_length(const std::string& sig, size_t i) {
    if (i >= sig.size()) throw Error("D-Bus: truncated signature \"" + sig + "\"");
    if (sig[i] == 'a') return 1 + complete_type_length(sig, i + 1);
    if (sig[i] == '(' || sig[i] == '{') {
        const char close = sig[i] == '(' ? ')' : '}';
        size_t j = i + 1;
        while (j < sig.size() && sig[j] != close) j += complete_type_length(sig, j);
        if (j >= sig.size()) throw Error("D-Bus: unbalanced signature \"" + sig + "\"");
        return j - i + 1;
    }
    return 1;
}

uint32_t load32(const std::string& data, size_t at, bool big_endian) {
    uint32_t value;
    std::memcpy(&value, data.data() + at, 4);
    return big_endian ? __builtin_bswap32(value) : value;
}

}  // namespace

void Writer::align(size_t n) { buf_.resize(align_up(buf_.size(), n), '\0'); }
void Writer::byte(uint8_t value) { buf_.push_back(static_cast<char>(value)); }
void Writer::boolean(bool value) { u32(value ? 1 : 0); }
void Writer::u32(uint32_t value) {
    align(4);
    buf_.append(reinterpret_cast<const char*>(&value), 4);  // hull runs little-endian hosts; 'l' is sent
}
void Writer::u64(uint64_t value) {
    align(8);
    buf_.append(reinterpret_cast<const char*>(&value), 8);
}
void Writer::string(const std::string& value) {
    if (value.find('\0') != std::string::npos) throw Error("D-Bus: a string argument contains a NUL byte");
    u32(static_cast<uint32_t>(value.size()));
    buf_ += value;
    buf_.push_back('\0');
}
void Writer::object_path(const std::string& value) { string(value); }
void Writer::signature(const std::string& value) {
    if (value.size() > 255) throw Error("D-Bus: signature longer than 255 characters");
    byte(static_cast<uint8_t>(value.size()));
    buf_ += value;
    buf_.push_back('\0');
}
size_t Writer::begin_array(size_t element_alignment) {
    u32(0);  // length, patched by end_array
    const size_t length_at = buf_.size() - 4;
    align(element_alignment);
    // The token packs where the length is and where the elements start (after the padding).
    return length_at << 8 | (buf_.size() - length_at - 4);
}
void Writer::end_array(size_t token) {
    const size_t length_at = token >> 8;
    const size_t start = length_at + 4 + (token & 0xff);
    const auto length = static_cast<uint32_t>(buf_.size() - start);
    std::memcpy(buf_.data() + length_at, &length, 4);
}

void Reader::need(size_t n) const {
    if (pos_ + n > data_.size()) throw Error("D-Bus: message truncated");
}
void Reader::align(size_t n) {
    const size_t to = align_up(pos_, n);
    need(to - pos_);
    pos_ = to;
}
uint8_t Reader::byte() {
    need(1);
    return static_cast<uint8_t>(data_[pos_++]);
}
uint32_t Reader::u32() {
    align(4);
    need(4);
    const uint32_t value = load32(data_, pos_, big_endian_);
    pos_ += 4;
    return value;
}
uint64_t Reader::u64() {
    align(8);
    need(8);
    uint64_t value;
    std::memcpy(&value, data_.data() + pos_, 8);
    pos_ += 8;
    return big_endian_ ? __builtin_bswap64(value) : value;
}
std::string Reader::string() {
    const uint32_t length = u32();
    need(static_cast<size_t>(length) + 1);
    std::string value = data_.substr(pos_, length);
    pos_ += length + 1;
    return value;
}
std::string Reader::signature() {
    const uint8_t length = byte();
    need(static_cast<size_t>(length) + 1);
    std::string value = data_.substr(pos_, length);
    pos_ += length + 1;
    return value;
}
void Reader::skip(const std::string& type) { skip(type, 0); }
void Reader::skip(const std::string& type, unsigned depth) {
    if (type.empty()) throw Error("D-Bus: empty type");
    // The spec's limit: variants nest in the data, so without it a message recurses as deep as it is long.
    if (depth > 64) throw Error("D-Bus: values nested more than 64 deep");
    switch (type[0]) {
        case 'y': byte(); return;
        case 'n': case 'q': align(2); need(2); pos_ += 2; return;
        case 'b': case 'i': case 'u': case 'h': u32(); return;
        case 'x': case 't': case 'd': u64(); return;
        case 's': case 'o': string(); return;
        case 'g': signature(); return;
        case 'v': {
            const std::string inner = signature();
            skip(inner, depth + 1);
            return;
        }
        case 'a': {
            const uint32_t length = u32();
            align(alignment_of(type[1]));
            need(length);
            pos_ += length;
            return;
        }
        case '(': case '{': {
            align(8);
            size_t i = 1;
            while (type[i] != ')' && type[i] != '}') {
                const size_t n = complete_type_length(type, i);
                skip(type.substr(i, n), depth + 1);
                i += n;
            }
            return;
        }
        default: throw Error("D-Bus: unsupported type '" + std::string(1, type[0]) + "'");
    }
}

std::string encode_call(const Call& call, uint32_t serial) {
    Writer w;
    w.byte('l');
    w.byte(static_cast<uint8_t>(MessageType::MethodCall));
    w.byte(0);  // flags
    w.byte(1);  // protocol version
    w.u32(static_cast<uint32_t>(call.body.size()));
    w.u32(serial);
    const size_t fields = w.begin_array(8);
    const auto field = [&](HeaderField code, char type, const std::string& value) {
        if (value.empty() && type != 'g') return;
        w.begin_struct();
        w.byte(code);
        w.signature(std::string(1, type));
        if (type == 'g') w.signature(value);
        else w.string(value);
    };
    field(Path, 'o', call.path);
    field(Interface, 's', call.interface);
    field(Member, 's', call.member);
    field(Destination, 's', call.destination);
    if (!call.signature.empty()) field(Signature, 'g', call.signature);
    w.end_array(fields);
    w.align(8);
    return w.data() + call.body;
}

size_t message_size(const std::string& buffer) {
    if (buffer.size() < 16) return 0;
    if (buffer[0] != 'l' && buffer[0] != 'B') throw Error("D-Bus: bad byte-order mark in a received message");
    const bool big = buffer[0] == 'B';
    const size_t body = load32(buffer, 4, big);
    const size_t fields = load32(buffer, 12, big);
    if (body > max_message || fields > max_message) throw Error("D-Bus: received message too large");
    const size_t total = align_up(16 + fields, 8) + body;
    return buffer.size() >= total ? total : 0;
}

Message decode(const std::string& raw) {
    if (message_size(raw) != raw.size()) throw Error("D-Bus: incomplete message");
    Message m;
    m.raw = raw;
    m.big_endian = raw[0] == 'B';
    m.type = static_cast<MessageType>(raw[1]);
    m.serial = load32(raw, 8, m.big_endian);
    Reader r(m.raw, 12, m.big_endian);
    const uint32_t fields_length = r.u32();
    const size_t end = 16 + fields_length;
    while (r.position() < end) {
        r.align(8);
        const uint8_t code = r.byte();
        const std::string type = r.signature();
        if (type == "s" || type == "o") {
            std::string value = r.string();
            switch (code) {
                case Path: m.path = value; break;
                case Interface: m.interface = value; break;
                case Member: m.member = value; break;
                case ErrorName: m.error_name = value; break;
                case Sender: m.sender = value; break;
                default: break;
            }
        } else if (type == "g") {
            std::string value = r.signature();
            if (code == Signature) m.signature = value;
        } else if (type == "u") {
            const uint32_t value = r.u32();
            if (code == ReplySerial) m.reply_serial = value;
        } else {
            r.skip(type);
        }
    }
    m.body_offset = align_up(end, 8);
    return m;
}

std::string Message::error_text() const {
    std::string text = error_name.empty() ? "unknown D-Bus error" : error_name;
    if (!signature.empty() && signature[0] == 's') {
        try {
            text += ": " + body().string();
        } catch (const Error&) {
        }
    }
    return text;
}

Connection::Connection(const std::string& socket_path, bool hello, std::chrono::milliseconds timeout)
    : socket_path_(socket_path), deadline_(std::chrono::steady_clock::now() + timeout) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) throw Error("D-Bus socket path too long: " + socket_path);
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_) throw_errno("D-Bus: socket");
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw_errno("D-Bus: connect to " + socket_path);
    }
    // EXTERNAL: the server checks our uid from the socket credentials; we name it in hex digits.
    std::string uid_hex;
    for (const char c : std::to_string(::geteuid())) {
        static const char digits[] = "0123456789abcdef";
        uid_hex += digits[static_cast<unsigned char>(c) >> 4];
        uid_hex += digits[static_cast<unsigned char>(c) & 0xf];
    }
    send_all(std::string(1, '\0') + "AUTH EXTERNAL " + uid_hex + "\r\n", "authenticate");
    const std::string answer = read_line("authenticate");
    if (answer.rfind("OK ", 0) != 0) throw Error("D-Bus: " + socket_path + " refused EXTERNAL authentication: " + answer);
    send_all("BEGIN\r\n", "authenticate");
    if (hello) call({"org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "", ""}, "Hello");
}

void Connection::send_all(const std::string& bytes, const std::string& what) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::send(fd_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("D-Bus: " + what + ": send to " + socket_path_);
        }
        done += static_cast<size_t>(n);
    }
}

namespace {

void wait_readable(int fd, std::chrono::steady_clock::time_point deadline, const std::string& what, const std::string& path) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw Error("D-Bus: " + what + ": no answer from " + path + " in time", ETIMEDOUT);
        pollfd p{fd, POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n > 0) return;
        if (n < 0 && errno != EINTR) throw_errno("D-Bus: poll " + path);
    }
}

}  // namespace

std::string Connection::read_line(const std::string& what) {
    for (;;) {
        const auto end = inbox_.find("\r\n");
        if (end != std::string::npos) {
            std::string line = inbox_.substr(0, end);
            inbox_.erase(0, end + 2);
            return line;
        }
        if (inbox_.size() > 16384) throw Error("D-Bus: " + what + ": authentication line too long");
        wait_readable(fd_.get(), deadline_, what, socket_path_);
        char chunk[4096];
        const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
        if (n == 0) throw Error("D-Bus: " + what + ": " + socket_path_ + " closed the connection");
        if (n < 0 && errno != EINTR) throw_errno("D-Bus: " + what + ": receive from " + socket_path_);
        if (n > 0) inbox_.append(chunk, static_cast<size_t>(n));
    }
}

Message Connection::receive(const std::string& what) {
    for (;;) {
        if (const size_t size = message_size(inbox_)) {
            Message m = decode(inbox_.substr(0, size));
            inbox_.erase(0, size);
            return m;
        }
        wait_readable(fd_.get(), deadline_, what, socket_path_);
        char chunk[65536];
        const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
        if (n == 0) throw Error("D-Bus: " + what + ": " + socket_path_ + " closed the connection");
        if (n < 0 && errno != EINTR) throw_errno("D-Bus: " + what + ": receive from " + socket_path_);
        if (n > 0) inbox_.append(chunk, static_cast<size_t>(n));
    }
}

Message Connection::call(const Call& call, const std::string& what) {
    const uint32_t serial = next_serial_++;
    send_all(encode_call(call, serial), what);
    for (;;) {
        Message m = receive(what);
        if (m.type == MessageType::Signal) {
            pending_signals_.push_back(std::move(m));
            continue;
        }
        if (m.reply_serial != serial) continue;
        if (m.type == MessageType::Error) throw Error(what + ": " + m.error_text());
        return m;
    }
}

}  // namespace hull::dbus
