// Persistent thread pool behind kd::parallel_for (see thread_pool.h for the contract).
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace kd {

namespace {

thread_local bool t_in_pool = false;  // true inside a worker or a running parallel_for

class Pool {
 public:
  explicit Pool(int n) : n_(std::max(1, n)) {
    for (int i = 1; i < n_; ++i) workers_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return n_; }

  // Returns false when the pool is busy (another thread's job): the caller runs inline.
  bool run(int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t), void* ctx) {
    std::unique_lock<std::mutex> busy(run_m_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    const int64_t chunks = (n + grain - 1) / grain;
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = fn;
      ctx_ = ctx;
      n_items_ = n;
      grain_ = grain;
      chunks_ = chunks;
      next_.store(0);
      done_.store(0);
      ++generation_;
    }
    cv_.notify_all();
    t_in_pool = true;
    work();
    t_in_pool = false;
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [&] { return done_.load() == chunks_ && active_ == 0; });
    fn_ = nullptr;
    return true;
  }

 private:
  void work() {
    for (;;) {
      const int64_t c = next_.fetch_add(1);
      if (c >= chunks_) break;
      const int64_t b = c * grain_;
      const int64_t e = std::min(n_items_, b + grain_);
      fn_(ctx_, b, e);
      if (done_.fetch_add(1) + 1 == chunks_) {
        std::lock_guard<std::mutex> lk(m_);
        done_cv_.notify_all();
      }
    }
  }
  void loop() {
    t_in_pool = true;
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return stop_ || (generation_ != seen && fn_ != nullptr); });
        if (stop_) return;
        seen = generation_;
        ++active_;
      }
      work();
      {
        std::lock_guard<std::mutex> lk(m_);
        --active_;
      }
      done_cv_.notify_all();
    }
  }

  const int n_;
  std::vector<std::thread> workers_;
  std::mutex m_, run_m_;
  std::condition_variable cv_, done_cv_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  int active_ = 0;
  void (*fn_)(void*, int64_t, int64_t) = nullptr;
  void* ctx_ = nullptr;
  int64_t n_items_ = 0, grain_ = 1, chunks_ = 0;
  std::atomic<int64_t> next_{0}, done_{0};
};

int configured_threads() {
  if (const char* env = std::getenv("KD_NUM_THREADS")) {
    const long v = std::strtol(env, nullptr, 10);
    if (v >= 1) return static_cast<int>(std::min(v, 256L));
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(hc) : 1;
}

Pool& pool() {
  static Pool* p = new Pool(configured_threads());  // leaked on purpose: no join at process exit
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }

void parallel_for_fn(int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t), void* ctx) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  auto inline_run = [&] {
    for (int64_t b = 0; b < n; b += grain) fn(ctx, b, std::min(n, b + grain));
  };
  if (n <= grain || t_in_pool) return inline_run();
  Pool& p = pool();
  if (p.size() == 1 || !p.run(n, grain, fn, ctx)) inline_run();
}

void* scratch(int slot, size_t bytes) {
  struct Buf {
    void* p = nullptr;
    size_t size = 0;
    ~Buf() { std::free(p); }
  };
  thread_local Buf bufs[8];
  Buf& b = bufs[slot & 7];
  if (b.size < bytes || !b.p) {
    std::free(b.p);
    const size_t sz = ((bytes + 63) / 64) * 64 + 64;
    b.p = std::aligned_alloc(64, sz);
    b.size = b.p ? sz : 0;
  }
  return b.p;
}

}  // namespace kd
