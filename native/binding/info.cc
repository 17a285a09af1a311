// info(): { isa, threads, isasSupported } — the variant chosen at load, the pool size, and every
// variant this build and CPU can run.
#include <napi.h>

#include "../dispatch/dispatch.h"
#include "../dispatch/thread_pool.h"
#include "args.h"

namespace {
Napi::Value Info(const Napi::CallbackInfo& info) {
  return kd::binding::guarded(info, "info", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("isa", kd::isa_name(kd::active_isa()));
    o.Set("threads", kd::num_threads());
    const auto isas = kd::supported_isas();
    Napi::Array arr = Napi::Array::New(env, isas.size());
    for (size_t i = 0; i < isas.size(); ++i) arr.Set(static_cast<uint32_t>(i), kd::isa_name(isas[i]));
    o.Set("isasSupported", arr);
    return o;
  });
}
}  // namespace

void RegisterInfo(Napi::Env env, Napi::Object exports) {
  // A bad KD_ISA fails the load with its message instead of failing later, inside a kernel.
  try {
    kd::active_isa();
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("kd-kernels native addon: ") + e.what());
  }
  exports.Set("info", Napi::Function::New(env, Info, "info"));
}
