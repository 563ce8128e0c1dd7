#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "hull/error.hpp"
#include "process/process.hpp"

namespace hull::process {

namespace {

int last_capability() {
    static const int last = [] {
        std::ifstream file("/proc/sys/kernel/cap_last_cap");
        int value = CAP_LAST_CAP;
        if (file) file >> value;
        return value;
    }();
    return last;
}

}  // namespace

int capability_from_name(const std::string& name, const std::string& field) {
    std::string lower;
    for (const char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    cap_value_t value = 0;
    if (name.rfind("CAP_", 0) != 0 || cap_from_name(lower.c_str(), &value) != 0 || value < 0 ||
        value > last_capability()) {
        throw Error(field + ": unknown capability \"" + name + "\"");
    }
    return value;
}

std::vector<std::string> known_capabilities() {
    std::vector<std::string> names;
    for (int cap = 0; cap <= last_capability(); ++cap) {
        char* text = cap_to_name(cap);
        std::string name = text;
        cap_free(text);
        for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        names.push_back(name);
    }
    return names;
}

namespace {

using CapSet = std::vector<int>;

CapSet to_set(const std::optional<std::vector<std::string>>& names, const char* field) {
    CapSet set;
    if (!names) return set;
    for (size_t i = 0; i < names->size(); ++i) {
        set.push_back(capability_from_name((*names)[i], std::string("process.capabilities.") + field + "[" +
                                                            std::to_string(i) + "]"));
    }
    return set;
}

bool contains(const CapSet& set, int cap) { return std::find(set.begin(), set.end(), cap) != set.end(); }

void drop_bounding(const CapSet& keep) {
    for (int cap = 0; cap <= last_capability(); ++cap) {
        if (contains(keep, cap)) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
            throw_errno("process.capabilities.bounding: drop capability " + std::to_string(cap));
        }
    }
}

void set_user(const oci::User& user) {
    const bool setgroups_denied = [] {
        std::ifstream file("/proc/self/setgroups");
        std::string value;
        return file && (file >> value) && value == "deny";
    }();
    if (setgroups_denied) {
        if (!user.additionalGids.empty()) {
            throw Error("process.user.additionalGids: setgroups is denied in this user namespace");
        }
    } else {
        std::vector<gid_t> groups(user.additionalGids.begin(), user.additionalGids.end());
        if (::setgroups(groups.size(), groups.data()) != 0) throw_errno("process.user.additionalGids: setgroups");
    }
    if (::setresgid(user.gid, user.gid, user.gid) != 0) throw_errno("process.user.gid: setresgid " + std::to_string(user.gid));
    if (::setresuid(user.uid, user.uid, user.uid) != 0) throw_errno("process.user.uid: setresuid " + std::to_string(user.uid));
}

}  // namespace

void switch_user_and_capabilities(const oci::Process& process) {
    const auto& caps = process.capabilities;
    const CapSet bounding = caps ? to_set(caps->bounding, "bounding") : CapSet{};
    const CapSet effective = caps ? to_set(caps->effective, "effective") : CapSet{};
    const CapSet permitted = caps ? to_set(caps->permitted, "permitted") : CapSet{};
    const CapSet inheritable = caps ? to_set(caps->inheritable, "inheritable") : CapSet{};
    CapSet ambient;
    if (caps) {
        for (int cap : to_set(caps->ambient, "ambient")) {
            // The kernel refuses the others; the runtime warned about them at create.
            if (contains(permitted, cap) && contains(inheritable, cap)) ambient.push_back(cap);
        }
    }
    drop_bounding(bounding);
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw_errno("prctl PR_SET_KEEPCAPS");
    set_user(process.user);
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) throw_errno("prctl PR_SET_KEEPCAPS");
    ::umask(process.user.umask.value_or(022));

    // CVE-2022-29162: the inheritable set is the config's, never widened for ambient.
    cap_t state = cap_init();
    if (state == nullptr) throw_errno("cap_init");
    const auto set_flag = [&](cap_flag_t flag, const CapSet& set) {
        for (int cap : set) {
            cap_value_t value = cap;
            if (cap_set_flag(state, flag, 1, &value, CAP_SET) != 0) throw_errno("cap_set_flag");
        }
    };
    try {
        set_flag(CAP_EFFECTIVE, effective);
        set_flag(CAP_PERMITTED, permitted);
        set_flag(CAP_INHERITABLE, inheritable);
        if (cap_set_proc(state) != 0) throw_errno("process.capabilities: set effective/permitted capabilities");
    } catch (...) {
        cap_free(state);
        throw;
    }
    cap_free(state);
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        throw_errno("clear ambient capabilities");
    }
    for (int cap : ambient) {
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
            throw_errno("process.capabilities.ambient: raise capability " + std::to_string(cap));
        }
    }
}

void set_no_new_privileges() {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_errno("process.noNewPrivileges: prctl");
}

}  // namespace hull::process
