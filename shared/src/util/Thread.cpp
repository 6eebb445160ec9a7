#include "signpost/util/Thread.hpp"

#ifdef __linux__
#include <cerrno>
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace signpost::util {

#ifdef __linux__
// On Linux a thread has a nice value of its own, addressed by its thread id (setpriority(2)).
int threadNice() {
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    return errno == 0 ? nice : 0;
}

bool lowerThreadPriority(int steps) {
    if (steps <= 0) return false;
    const int target = threadNice() + steps;
    return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), target > 19 ? 19 : target) == 0;
}
#else
int threadNice() {
    return 0;
}
bool lowerThreadPriority(int) {
    return false;
}
#endif

} // namespace signpost::util
