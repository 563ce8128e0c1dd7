#include <fcntl.h>
#include <unistd.h>

#include "cli.hpp"
#include "hull/error.hpp"
#include "hull/fd.hpp"
#include "oci/config.hpp"

namespace hull::cli {

namespace {

void write_new_file(const std::string& path, const std::string& text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) {
        if (errno == EEXIST) throw Error("spec: " + path + " already exists; remove it first", EEXIST);
        throw_errno("spec: create " + path);
    }
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        throw_errno("spec: write " + path);
    }
}

}  // namespace

void add_spec(CLI::App& app, Globals&, Action& action) {
    auto* command = app.add_subcommand("spec", "write a default config.json into the bundle");
    auto bundle = std::make_shared<std::string>(".");
    auto rootless = std::make_shared<bool>(false);
    command->add_option("-b,--bundle", *bundle, "bundle directory")->capture_default_str();
    command->add_flag("--rootless", *rootless, "a config for running without root (user namespace)");
    command->callback([&action, bundle, rootless] {
        action = [bundle, rootless] {
            const oci::Spec spec = oci::default_spec(*rootless, ::getuid(), ::getgid());
            write_new_file(*bundle + "/config.json", oci::to_json(spec).dump(4) + "\n");
            return 0;
        };
    });
}

}  // namespace hull::cli
