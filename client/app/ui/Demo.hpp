#pragma once
// `signpost --demo` (and the scripted flows): a device that works without a server. If the
// database has no directory it gets the seed directory and a few hundred synthetic services; if
// no one has signed in, a demo practitioner for Cardiff and Vale is recorded and the vault is
// created with the passphrase kDemoPassphrase. Nothing is sent anywhere: no server session.
#include "../model/Worker.hpp"
#include "WorkerState.hpp"

#include <cstddef>
#include <functional>
#include <string>

namespace signpost::app {

inline constexpr const char* kDemoPassphrase = "demo passphrase";
inline constexpr const char* kDemoUser = "demo";
inline constexpr size_t kDemoSyntheticServices = 400;

void prepareDemo(AppWorker& worker, UiQueue& ui, std::function<void(const std::string&)> onError);

} // namespace signpost::app
