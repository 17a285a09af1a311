// A persistent thread pool. KD_NUM_THREADS sets the thread count (default: the number of cores).
//
// parallel_for(n, grain, fn) calls fn(begin, end) over the fixed chunks
// [0, grain), [grain, 2 grain), ... of [0, n): the partition depends only on n and grain, never on
// the thread count, so results that are per-chunk (then combined by the caller in chunk order) are
// identical for any KD_NUM_THREADS. Chunks are handed out dynamically; the caller's thread works
// too. Nested calls, calls from a second thread while the pool is busy, and n <= grain run inline.
// fn must not throw.
//
// The non-template entry point takes a plain function pointer + context, so code compiled with
// ISA flags (-mavx512f ...) instantiates no shared std:: templates that the linker could merge
// into the other translation units; the template wrapper is instantiated per lambda type.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace kd {

int num_threads();
void parallel_for_fn(int64_t n, int64_t grain, void (*fn)(void* ctx, int64_t begin, int64_t end), void* ctx);

template <class F>
inline void parallel_for(int64_t n, int64_t grain, F&& f) {
  using Fn = typename std::remove_reference<F>::type;
  parallel_for_fn(n, grain, [](void* c, int64_t b, int64_t e) { (*static_cast<Fn*>(c))(b, e); },
                  const_cast<void*>(static_cast<const void*>(&f)));
}

// Thread-local scratch of at least `bytes` bytes (64-byte aligned) for slot 0..7, reused across
// calls (grows, never shrinks); contents undefined. Valid until the same thread asks for the same
// slot again. Defined in a translation unit without ISA flags.
void* scratch(int slot, size_t bytes);
template <class T>
inline T* scratch_of(int slot, size_t n) {
  return static_cast<T*>(scratch(slot, n * sizeof(T)));
}

// Rows per chunk for a row kernel touching `bytes_per_row` bytes: ~64 KiB of work per chunk.
inline int64_t row_grain(int64_t bytes_per_row) {
  const int64_t target = 64 * 1024;
  int64_t g = bytes_per_row > 0 ? target / bytes_per_row : target;
  return g < 1 ? 1 : g;
}

}  // namespace kd
