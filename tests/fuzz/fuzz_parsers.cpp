// libFuzzer target: config.json, process.json, resources, state and features parsers, the
// mount-option parser, and the decoder of hull's D-Bus client (what the bus and systemd send to
// --systemd-cgroup). Any input must either parse or raise oci::SpecError / hull::Error, never
// crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cgroups/dbus.hpp"
#include "hull/error.hpp"
#include "oci/config.hpp"
#include "oci/error.hpp"
#include "oci/features.hpp"
#include "oci/state.hpp"
#include "rootfs/mount_options.hpp"

namespace {

// As Connection::receive takes a message off its input, then every value of its body.
void dbus_message(const std::string& bytes) {
    try {
        const size_t size = hull::dbus::message_size(bytes);
        if (size == 0) return;
        const auto message = hull::dbus::decode(bytes.substr(0, size));
        (void)message.error_text();
        // The body's values are one struct of the signature's types (bodies start 8-aligned).
        if (!message.signature.empty()) message.body().skip("(" + message.signature + ")");
    } catch (const hull::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (!text.empty() && (text[0] == 'l' || text[0] == 'B')) dbus_message(text);
    oci::Json doc;
    try {
        doc = oci::Json::parse(text);
    } catch (const oci::Json::exception&) {
        // Not JSON: feed it to the mount option parser, comma-separated.
        std::vector<std::string> options;
        size_t start = 0;
        while (start <= text.size()) {
            const size_t end = std::min(text.find(',', start), text.size());
            options.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        (void)hull::rootfs::parse_mount_options(options);
        return 0;
    }
    const auto attempt = [&](auto parse) {
        try {
            parse();
        } catch (const oci::SpecError&) {
        }
    };
    attempt([&] {
        const auto spec = oci::parse_config(doc);
        // What parses must serialise and parse back to the same document.
        const auto once = oci::to_json(spec);
        if (oci::to_json(oci::parse_config(once)) != once) __builtin_trap();
    });
    attempt([&] { (void)oci::to_json(oci::parse_process(doc)); });
    attempt([&] { (void)oci::to_json(oci::parse_resources(doc)); });
    attempt([&] { (void)oci::to_json(oci::parse_state(doc)); });
    attempt([&] { (void)oci::to_json(oci::parse_features(doc)); });
    return 0;
}
