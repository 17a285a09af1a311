// Force-included (-include) in the portable prebuilds (CMake option KD_PORTABLE, scripts/prebuild.mjs).
// glibc 2.29 added new default versions of exp, log, pow, exp2 and log2 (faster code, same
// contract); an addon linked against them would not load on glibc 2.28 (RHEL 8). Bind the calls
// to the versions every supported glibc has: GLIBC_2.2.5 on x86-64, GLIBC_2.17 on aarch64.
#pragma once
#include <features.h>  // defines __GLIBC__ (this header is included before any other)
#if defined(__linux__) && defined(__GLIBC__)
#if defined(__x86_64__)
#define KD_GLIBC_OLD "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define KD_GLIBC_OLD "GLIBC_2.17"
#endif
#ifdef KD_GLIBC_OLD
__asm__(".symver exp,exp@" KD_GLIBC_OLD);
__asm__(".symver log,log@" KD_GLIBC_OLD);
__asm__(".symver pow,pow@" KD_GLIBC_OLD);
__asm__(".symver exp2,exp2@" KD_GLIBC_OLD);
__asm__(".symver log2,log2@" KD_GLIBC_OLD);
#undef KD_GLIBC_OLD
#endif
#endif
