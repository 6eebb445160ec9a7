#pragma once
// Scheduling hints for the threads of a bulk load.

namespace signpost::util {

// Lowers the calling thread's scheduling priority by `steps` (Linux: its nice value; the rest of
// the process keeps its own). For threads that only feed one writer thread: with more runnable
// threads than cores, the writer, which everything downstream waits on, then gets a core
// whenever it can run, and the feeders take what is left. Returns whether it took effect
// (false elsewhere than Linux, or if the system refused).
bool lowerThreadPriority(int steps);

// The calling thread's nice value (0 where there is none to read).
int threadNice();

} // namespace signpost::util
