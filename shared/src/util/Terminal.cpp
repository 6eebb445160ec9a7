#include "signpost/util/Terminal.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace signpost::terminal {

std::string readSecret(const std::string& prompt, bool readPipe) {
    std::string line;
    if (!isatty(STDIN_FILENO)) {
        if (readPipe) std::getline(std::cin, line);
        return line;
    }
    std::cerr << prompt << std::flush;
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return line;
}

} // namespace signpost::terminal
