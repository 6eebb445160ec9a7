#pragma once
// Reading a password or passphrase from the terminal, without echoing it.
#include <string>

namespace signpost::terminal {

// On a terminal: prints `prompt` to stderr and reads a line with echo off. Without one (a pipe):
// reads a line silently when `readPipe`, else returns "" without touching stdin.
std::string readSecret(const std::string& prompt, bool readPipe = true);

} // namespace signpost::terminal
