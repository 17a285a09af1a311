// kd-kernels native addon: registers the entry points only. The work is in binding/ (argument
// checks, JS <-> C++), dispatch/ (ISA choice, thread pool) and kernels/ (plain C++ on float*).
#include <napi.h>

void RegisterInfo(Napi::Env env, Napi::Object exports);    // binding/info.cc
void RegisterLosses(Napi::Env env, Napi::Object exports);  // binding/losses.cc
void RegisterOps(Napi::Env env, Napi::Object exports);     // binding/ops.cc

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterInfo(env, exports);
  RegisterLosses(env, exports);
  RegisterOps(env, exports);
  return exports;
}

NODE_API_MODULE(kd_kernels, Init)
