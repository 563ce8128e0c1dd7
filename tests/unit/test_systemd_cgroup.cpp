// --systemd-cgroup: slice:prefix:name validation, the D-Bus wire format, and the whole
// StartTransientUnit exchange against a fake systemd on a unix socket.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <tuple>
#include <filesystem>
#include <thread>

#include "cgroups/dbus.hpp"
#include "cgroups/systemd_cgroup.hpp"
#include "hull/error.hpp"
#include "hull/fd.hpp"

namespace sd = hull::cgroups::systemd;
namespace dbus = hull::dbus;

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const hull::Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(SystemdPathTest, SlicePrefixNameBecomesAScopeInTheSlice) {
    const auto scope = sd::parse_path(std::string("machine.slice:hull:c1"), "c1");
    EXPECT_EQ(scope.unit(), "hull-c1.scope");
    EXPECT_EQ(scope.cgroup_path(), "/machine.slice/hull-c1.scope");
    EXPECT_EQ(sd::parse_path(std::string("a-b-c.slice:p:n"), "x").cgroup_path(), "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
    EXPECT_EQ(sd::parse_path(std::string(":p:n"), "x").cgroup_path(), "/system.slice/p-n.scope");
    EXPECT_EQ(sd::parse_path(std::nullopt, "x").cgroup_path(), "/system.slice/hull-x.scope");
    EXPECT_EQ(sd::parse_path(std::string("-.slice:p:n"), "x").cgroup_path(), "/p-n.scope");
}

TEST(SystemdPathTest, BadPathsAreClearErrors) {
    const auto bad = [](const std::string& path) { return error_of([&] { sd::parse_path(path, "c1"); }); };
    EXPECT_NE(bad("/a/b").find("must be \"slice:prefix:name\""), std::string::npos) << bad("/a/b");
    EXPECT_NE(bad("a:b").find("three fields"), std::string::npos);
    EXPECT_NE(bad("a.slice:b:c:d").find("three fields"), std::string::npos);
    EXPECT_NE(bad("machine:hull:c1").find("ends in \".slice\""), std::string::npos);
    EXPECT_NE(bad("../x.slice:hull:c1").find("unit name cannot have"), std::string::npos);
    EXPECT_NE(bad("a--b.slice:hull:c1").find("dashes"), std::string::npos);
    EXPECT_NE(bad("-a.slice:hull:c1").find("dashes"), std::string::npos);
    EXPECT_NE(bad("machine.slice::c1").find("must not be empty"), std::string::npos);
    EXPECT_NE(bad("machine.slice:hull:").find("must not be empty"), std::string::npos);
    EXPECT_NE(bad("machine.slice:hull:../../x").find("may only have"), std::string::npos);
    EXPECT_NE(bad("machine.slice:hull:a/b").find("may only have"), std::string::npos);
    EXPECT_NE(bad("machine.slice:hull:x.slice").find("not a slice"), std::string::npos);
    EXPECT_NE(bad("machine.slice:hull:" + std::string(300, 'a')).find("longer than 255"), std::string::npos);
}

TEST(SystemdPathTest, NotRunningNamesTheFlag) {
    const std::string message = error_of([] { sd::require_running("/nonexistent/hull-test/systemd/system"); });
    EXPECT_NE(message.find("--systemd-cgroup: systemd is not running"), std::string::npos) << message;
    EXPECT_NE(message.find("/nonexistent/hull-test/systemd/system"), std::string::npos);
    EXPECT_NO_THROW(sd::require_running("/"));
}

TEST(DbusWireTest, HelloIsTheWellKnown128Bytes) {
    const std::string bytes =
        dbus::encode_call({"org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "", ""}, 1);
    ASSERT_EQ(bytes.size(), 128u);
    const std::string head("l\x01\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\x6d\x00\x00\x00\x01\x01o\x00\x15\x00\x00\x00/org", 28);
    EXPECT_EQ(bytes.substr(0, 28), head);
    EXPECT_EQ(bytes.substr(48, 8), std::string("\x02\x01s\x00\x14\x00\x00\x00", 8));  // INTERFACE, 20 chars
    EXPECT_EQ(bytes.substr(80, 14), std::string("\x03\x01s\x00\x05\x00\x00\x00Hello\x00", 14));
    EXPECT_EQ(bytes.substr(96, 4), std::string("\x06\x01s\x00", 4));  // DESTINATION
    EXPECT_EQ(bytes.substr(125), std::string(3, '\0'));                // padding to 8
    const auto message = dbus::decode(bytes);
    EXPECT_EQ(message.member, "Hello");
    EXPECT_EQ(message.path, "/org/freedesktop/DBus");
    EXPECT_EQ(message.serial, 1u);
    EXPECT_EQ(message.body_offset, 128u);
}

TEST(DbusWireTest, ArraysAreAlignedAndMeasuredWithoutTheirPadding) {
    dbus::Writer w;
    w.byte(7);
    const size_t array = w.begin_array(8);  // a(...) : length at 4, elements from 8
    w.begin_struct();
    w.u64(1);
    w.end_array(array);
    ASSERT_EQ(w.data().size(), 16u);
    EXPECT_EQ(w.data().substr(4, 4), std::string("\x08\x00\x00\x00", 4));
    const auto empty = w.begin_array(8);  // at 16, elements would start at 24
    w.end_array(empty);
    EXPECT_EQ(w.data().substr(16, 4), std::string(4, '\0'));
    EXPECT_EQ(w.data().size(), 24u);
}

TEST(DbusWireTest, NestingIsBoundedByTheSpecsLimit) {
    // Each variant names its own type in the data: 100 variants, each holding the next.
    std::string data;
    for (int i = 0; i < 100; ++i) data += std::string("\x01v\0", 3);
    data += std::string("\x01y\0\x07", 4);
    dbus::Reader deep(data, 0, false);
    EXPECT_NE(error_of([&] { deep.skip("v"); }).find("nested more than 64 deep"), std::string::npos);
    const std::string shallow_data = std::string("\x01v\0", 3) + std::string("\x01y\0\x07", 4);
    dbus::Reader shallow(shallow_data, 0, false);
    shallow.skip("v");
    EXPECT_EQ(shallow.position(), shallow_data.size());
}

// Reads the a(sv) properties of a StartTransientUnit body into name → (signature, reader position).
struct Property {
    std::string signature;
    std::string text;
    uint64_t number = 0;
    std::vector<uint32_t> list;
    std::vector<std::pair<std::string, uint64_t>> devices;  // a(st)
};

// The a(sv) array at r (a StartTransientUnit's or SetUnitProperties' properties).
std::map<std::string, Property> property_array(dbus::Reader& r) {
    std::map<std::string, Property> props;
    const uint32_t length = r.u32();
    r.align(8);
    const size_t end = r.position() + length;
    while (r.position() < end) {
        r.align(8);
        const std::string name = r.string();
        Property p;
        p.signature = r.signature();
        if (p.signature == "s") p.text = r.string();
        else if (p.signature == "b") p.number = r.u32();
        else if (p.signature == "t") p.number = r.u64();
        else if (p.signature == "au") {
            const uint32_t bytes = r.u32();
            for (uint32_t i = 0; i < bytes / 4; ++i) p.list.push_back(r.u32());
        } else if (p.signature == "ay") {
            const uint32_t bytes = r.u32();
            for (uint32_t i = 0; i < bytes; ++i) p.list.push_back(r.byte());
        } else if (p.signature == "a(st)") {
            const uint32_t bytes = r.u32();
            r.align(8);
            const size_t entries_end = r.position() + bytes;
            while (r.position() < entries_end) {
                r.align(8);
                std::string path = r.string();
                p.devices.emplace_back(path, r.u64());
            }
        } else ADD_FAILURE() << "unexpected property type " << p.signature;
        // IO*Max and IODeviceWeight come once per device.
        if (props.count(name) != 0 && !p.devices.empty()) {
            props[name].devices.insert(props[name].devices.end(), p.devices.begin(), p.devices.end());
        } else {
            props[name] = p;
        }
    }
    return props;
}

std::map<std::string, Property> properties_of(const dbus::Message& m, std::string& unit, std::string& mode) {
    auto r = m.body();
    unit = r.string();
    mode = r.string();
    auto props = property_array(r);
    EXPECT_EQ(r.u32(), 0u);  // no auxiliary units
    return props;
}

TEST(SystemdScopeTest, StartTransientUnitCarriesPidsDelegateSliceAndLimits) {
    oci::LinuxResources resources;
    resources.memory = oci::LinuxMemory{};
    resources.memory->limit = 64 << 20;
    resources.pids = oci::LinuxPids{100};
    resources.cpu = oci::LinuxCPU{};
    resources.cpu->shares = 1024;
    resources.cpu->quota = 50000;
    resources.cpu->period = 100000;
    const auto call = sd::start_transient_unit(sd::parse_path(std::string("machine.slice:hull:c1"), "c1"), 4242, &resources, true);
    EXPECT_EQ(call.destination, "org.freedesktop.systemd1");
    EXPECT_EQ(call.member, "StartTransientUnit");
    EXPECT_EQ(call.signature, "ssa(sv)a(sa(sv))");
    const auto message = dbus::decode(dbus::encode_call(call, 9));
    EXPECT_EQ(message.signature, "ssa(sv)a(sa(sv))");
    std::string unit, mode;
    auto props = properties_of(message, unit, mode);
    EXPECT_EQ(unit, "hull-c1.scope");
    EXPECT_EQ(mode, "replace");
    EXPECT_EQ(props["PIDs"].list, std::vector<uint32_t>{4242});
    EXPECT_EQ(props["Delegate"].number, 1u);
    EXPECT_EQ(props["DefaultDependencies"].number, 0u);
    EXPECT_EQ(props["Slice"].text, "machine.slice");
    EXPECT_EQ(props["MemoryMax"].number, 64u << 20);
    EXPECT_EQ(props["TasksMax"].number, 100u);
    EXPECT_EQ(props["CPUWeight"].number, 39u);
    EXPECT_EQ(props["CPUQuotaPerSecUSec"].number, 500000u);
    EXPECT_EQ(props["CPUQuotaPeriodUSec"].number, 100000u);
    // cgroup v1 names
    const auto v1 = dbus::decode(dbus::encode_call(
        sd::start_transient_unit(sd::parse_path(std::string(":hull:c1"), "c1"), 1, &resources, false), 2));
    props = properties_of(v1, unit, mode);
    EXPECT_EQ(props["MemoryLimit"].number, 64u << 20);
    EXPECT_EQ(props["CPUShares"].number, 1024u);
    EXPECT_EQ(props.count("MemoryMax"), 0u);
}

TEST(SystemdScopeTest, EveryV2LimitSystemdHasAPropertyForIsSent) {
    // systemd rewrites the scope's files from its properties (daemon-reload): each limit it
    // manages must be a property, converted as the cgroupfs driver converts it.
    oci::LinuxResources r;
    r.memory = oci::LinuxMemory{};
    r.memory->limit = 64 << 20;
    r.memory->swap = 96 << 20;
    r.memory->reservation = 16 << 20;
    r.cpu = oci::LinuxCPU{};
    r.cpu->quota = 12345;
    r.cpu->period = 60000;
    r.cpu->cpus = "0-2,9";
    r.cpu->mems = "0";
    r.pids = oci::LinuxPids{-1};
    r.blockIO = oci::LinuxBlockIO{};
    r.blockIO->weight = 500;
    r.unified["memory.high"] = "max";
    const auto call = sd::start_transient_unit(sd::parse_path(std::string(":hull:c1"), "c1"), 1, &r, true);
    std::string unit, mode;
    auto props = properties_of(dbus::decode(dbus::encode_call(call, 3)), unit, mode);
    EXPECT_EQ(props["MemoryMax"].number, 64u << 20);
    EXPECT_EQ(props["MemorySwapMax"].number, 32u << 20);
    EXPECT_EQ(props["MemoryLow"].number, 16u << 20);
    EXPECT_EQ(props["MemoryHigh"].number, UINT64_MAX);
    EXPECT_EQ(props["TasksMax"].number, UINT64_MAX);
    // 12345/60000 of a CPU is 205750 us per second, rounded up to whole percents (systemd's unit
    // file keeps CPUQuota=N%).
    EXPECT_EQ(props["CPUQuotaPerSecUSec"].number, 210000u);
    EXPECT_EQ(props["CPUQuotaPeriodUSec"].number, 60000u);
    EXPECT_EQ(props["AllowedCPUs"].signature, "ay");
    EXPECT_EQ(props["AllowedCPUs"].list, (std::vector<uint32_t>{0x07, 0x02}));
    EXPECT_EQ(props["AllowedMemoryNodes"].list, std::vector<uint32_t>{0x01});
    EXPECT_EQ(props["IOWeight"].number, 4950u);
    EXPECT_EQ(props.count("CPUWeight"), 0u);

    // update: SetUnitProperties with the same conversion; nothing to send → no call.
    oci::LinuxResources update;
    update.pids = oci::LinuxPids{20};
    const auto set = sd::set_unit_properties("hull-c1.scope", update, true);
    ASSERT_TRUE(set.has_value());
    EXPECT_EQ(set->member, "SetUnitProperties");
    EXPECT_EQ(set->signature, "sba(sv)");
    const auto message = dbus::decode(dbus::encode_call(*set, 4));
    auto body = message.body();
    EXPECT_EQ(body.string(), "hull-c1.scope");
    EXPECT_EQ(body.u32(), 1u);  // runtime
    props = property_array(body);
    EXPECT_EQ(props.size(), 1u);
    EXPECT_EQ(props["TasksMax"].number, 20u);
    oci::LinuxResources hugetlb_only;
    hugetlb_only.hugepageLimits.push_back({"2MB", 4 << 20});
    EXPECT_FALSE(sd::set_unit_properties("hull-c1.scope", hugetlb_only, true).has_value());
}

TEST(SystemdScopeTest, IoLimitsNameTheBlockDeviceNode) {
    // /sys/dev/block/M:m gives the node name; a device that is not there is a clear error.
    oci::LinuxResources r;
    r.blockIO = oci::LinuxBlockIO{};
    r.blockIO->throttleReadBpsDevice.push_back({4095, 1048575, 1024});
    const std::string message = error_of([&] { sd::set_unit_properties("hull-c1.scope", r, true); });
    EXPECT_NE(message.find("no block device 4095:1048575"), std::string::npos) << message;
}

// A fake bus + systemd: answers Hello, AddMatch, Subscribe and StartTransientUnit, and sends
// JobRemoved before the method reply (as a real bus may).
class FakeSystemd {
public:
    explicit FakeSystemd(std::string result) : result_(std::move(result)) {
        char dir[] = "/tmp/hull-fake-bus.XXXXXX";
        dir_ = ::mkdtemp(dir);
        path_ = dir_ + "/bus";
        listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, path_.c_str());
        EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(listener_.get(), 1), 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeSystemd() {
        ::shutdown(listener_.get(), SHUT_RDWR);
        thread_.join();
        std::filesystem::remove_all(dir_);
    }
    const std::string& path() const { return path_; }
    std::vector<std::string> members;
    std::vector<uint32_t> pids;

private:
    static std::string header(dbus::MessageType type, uint32_t serial, const std::string& body,
                              const std::vector<std::tuple<uint8_t, char, std::string>>& fields) {
        dbus::Writer w;
        w.byte('l');
        w.byte(static_cast<uint8_t>(type));
        w.byte(0);
        w.byte(1);
        w.u32(static_cast<uint32_t>(body.size()));
        w.u32(serial);
        const size_t array = w.begin_array(8);
        for (const auto& [code, type_char, value] : fields) {
            w.begin_struct();
            w.byte(code);
            w.signature(std::string(1, type_char));
            if (type_char == 'u') w.u32(static_cast<uint32_t>(std::stoul(value)));
            else if (type_char == 'g') w.signature(value);
            else w.string(value);
        }
        w.end_array(array);
        w.align(8);
        return w.data() + body;
    }
    void send(int fd, const std::string& bytes) { ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }
    void reply(int fd, uint32_t to, const std::string& signature, const std::string& body) {
        std::vector<std::tuple<uint8_t, char, std::string>> fields = {{5, 'u', std::to_string(to)}};
        if (!signature.empty()) fields.emplace_back(8, 'g', signature);
        send(fd, header(dbus::MessageType::MethodReturn, serial_++, body, fields));
    }
    void serve() {
        const hull::UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client) return;
        std::string in;
        char chunk[4096];
        const auto fill = [&] {
            const ssize_t n = ::read(client.get(), chunk, sizeof chunk);
            if (n <= 0) return false;
            in.append(chunk, static_cast<size_t>(n));
            return true;
        };
        while (in.find("BEGIN\r\n") == std::string::npos) {
            if (in.find("AUTH EXTERNAL ") != std::string::npos && in.find("\r\n") != std::string::npos && !authed_) {
                EXPECT_EQ(in[0], '\0');
                send(client.get(), "OK 0123456789abcdef0123456789abcdef\r\n");
                authed_ = true;
            }
            if (!fill()) return;
        }
        in.erase(0, in.find("BEGIN\r\n") + 7);
        for (;;) {
            size_t size;
            while ((size = dbus::message_size(in)) == 0) {
                if (!fill()) return;
            }
            const auto m = dbus::decode(in.substr(0, size));
            in.erase(0, size);
            members.push_back(m.member);
            if (m.member == "Hello") {
                dbus::Writer w;
                w.string(":1.42");
                reply(client.get(), m.serial, "s", w.data());
            } else if (m.member == "StartTransientUnit") {
                std::string unit, mode;
                pids = properties_of(m, unit, mode)["PIDs"].list;
                dbus::Writer signal;
                signal.u32(7);
                signal.object_path("/org/freedesktop/systemd1/job/7");
                signal.string(unit);
                signal.string(result_);
                send(client.get(), header(dbus::MessageType::Signal, serial_++, signal.data(),
                                          {{1, 'o', "/org/freedesktop/systemd1"}, {2, 's', "org.freedesktop.systemd1.Manager"},
                                           {3, 's', "JobRemoved"}, {8, 'g', "uoss"}}));
                dbus::Writer job;
                job.object_path("/org/freedesktop/systemd1/job/7");
                reply(client.get(), m.serial, "o", job.data());
            } else {
                reply(client.get(), m.serial, "", "");
            }
        }
    }

    std::string result_;
    std::string dir_, path_;
    hull::UniqueFd listener_;
    std::thread thread_;
    uint32_t serial_ = 100;
    bool authed_ = false;
};

TEST(SystemdScopeTest, StartScopeTalksToSystemdAndWaitsForTheJob) {
    FakeSystemd systemd("done");
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + systemd.path()).c_str(), 1);
    sd::start_scope(sd::parse_path(std::string("machine.slice:hull:c1"), "c1"), 4242, nullptr, true);
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    EXPECT_EQ(systemd.members, (std::vector<std::string>{"Hello", "AddMatch", "Subscribe", "StartTransientUnit"}));
    EXPECT_EQ(systemd.pids, std::vector<uint32_t>{4242});
}

TEST(SystemdScopeTest, AFailedJobIsAnError) {
    FakeSystemd systemd("failed");
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + systemd.path()).c_str(), 1);
    const std::string message = error_of([] { sd::start_scope(sd::parse_path(std::string(":hull:c2"), "c2"), 1, nullptr, true); });
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    EXPECT_NE(message.find("hull-c2.scope"), std::string::npos) << message;
    EXPECT_NE(message.find("\"failed\""), std::string::npos) << message;
}

}  // namespace
