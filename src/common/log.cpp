#include "hull/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

namespace hull::log {
namespace {

std::string rfc3339(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

const char* level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
        case spdlog::level::debug: return "debug";
        case spdlog::level::info: return "info";
        case spdlog::level::warn: return "warning";
        case spdlog::level::err: return "error";
        default: return "fatal";
    }
}

// logrus-style lines, the shape runc writes: JSON objects or key=value text.
std::string runc_line(Format format, spdlog::level::level_enum level, const std::string& message,
                      std::chrono::system_clock::time_point when) {
    std::string line;
    if (format == Format::Json) {
        const nlohmann::ordered_json entry = {{"level", level_name(level)}, {"msg", message}, {"time", rfc3339(when)}};
        line = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
        line = "time=\"" + rfc3339(when) + "\" level=" + level_name(level) +
               " msg=" + nlohmann::json(message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return line + '\n';
}

class RuncFormatter final : public spdlog::formatter {
public:
    explicit RuncFormatter(Format format) : format_(format) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const std::string line = runc_line(format_, msg.level, std::string(msg.payload.data(), msg.payload.size()), msg.time);
        dest.append(line.data(), line.data() + line.size());
    }

    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<RuncFormatter>(format_);
    }

private:
    Format format_;
};

struct LoggerState {
    std::shared_ptr<spdlog::logger> file;  // null without --log
    bool debug = false;
    bool json_to_stderr = false;  // --log-format json without --log: runc writes the JSON lines to stderr
    Forward forward;              // set in a process the runtime cloned
};

LoggerState& state() {
    static LoggerState instance;
    return instance;
}

// A forwarded record: the mark, a level code, the message's length, ':' and the message.
constexpr char record_mark = '\x1e';

char level_code(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
        case spdlog::level::debug: return 'd';
        case spdlog::level::info: return 'i';
        case spdlog::level::warn: return 'w';
        default: return 'e';
    }
}

spdlog::level::level_enum level_of_code(char code) {
    switch (code) {
        case 'd': return spdlog::level::debug;
        case 'i': return spdlog::level::info;
        case 'w': return spdlog::level::warn;
        default: return spdlog::level::err;
    }
}

void write(spdlog::level::level_enum level, const std::string& message) {
    auto& s = state();
    if (s.forward) {
        try {
            s.forward(std::string(1, record_mark) + level_code(level) + std::to_string(message.size()) + ':' + message);
        } catch (const std::exception&) {
            // The runtime is gone or stopped listening: the record has nowhere to go.
        }
        return;
    }
    if (s.file) {
        s.file->log(level, message);
        return;
    }
    if (s.json_to_stderr || level == spdlog::level::debug) {
        // runc's shape on stderr too: JSON records, or logrus text lines for debug.
        const Format format = s.json_to_stderr ? Format::Json : Format::Text;
        std::fputs(runc_line(format, level, message, std::chrono::system_clock::now()).c_str(), stderr);
        return;
    }
    if (level == spdlog::level::err) return;  // errors reach stderr through error()
    std::fprintf(stderr, "%s: %s\n", level_name(level), message.c_str());
}

}  // namespace

void init(const Options& options) {
    auto& s = state();
    s.debug = options.debug;
    s.json_to_stderr = options.path.empty() && options.format == Format::Json;
    s.file.reset();
    if (options.path.empty()) return;
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_st>(options.path, false);
    s.file = std::make_shared<spdlog::logger>("hull", std::move(sink));
    s.file->set_formatter(std::make_unique<RuncFormatter>(options.format));
    s.file->set_level(options.debug ? spdlog::level::debug : spdlog::level::info);
    s.file->flush_on(spdlog::level::trace);
}


bool debug_enabled() noexcept { return state().debug; }

void detail::write_debug(const std::string& message) { write(spdlog::level::debug, message); }

void warn(const std::string& message) { write(spdlog::level::warn, message); }

void error(const std::string& message) {
    write(spdlog::level::err, message);
    if (!state().json_to_stderr && !state().forward) std::fprintf(stderr, "hull: %s\n", message.c_str());
}

void forward_to(Forward forward) { state().forward = std::move(forward); }

std::string replay(std::string_view stream) {
    std::string rest;
    size_t pos = 0;
    while (pos < stream.size()) {
        const size_t mark = stream.find(record_mark, pos);
        rest.append(stream.substr(pos, mark == std::string_view::npos ? std::string_view::npos : mark - pos));
        if (mark == std::string_view::npos) break;
        const size_t colon = stream.find(':', mark);
        size_t length = 0;
        const char* digits = stream.data() + mark + 2;
        const char* digits_end = stream.data() + (colon == std::string_view::npos ? mark : colon);
        if (colon == std::string_view::npos || digits >= digits_end ||
            std::from_chars(digits, digits_end, length).ptr != digits_end || length > stream.size() - colon - 1) {
            rest.append(stream.substr(mark));  // not a record after all
            break;
        }
        const spdlog::level::level_enum level = level_of_code(stream[mark + 1]);
        if (level != spdlog::level::debug || state().debug) write(level, std::string(stream.substr(colon + 1, length)));
        pos = colon + 1 + length;
    }
    return rest;
}

}  // namespace hull::log
