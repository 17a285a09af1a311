// The C++ kernel tests, one per line of kernels/kernel_list.h: test_<name>(T, S) checks the
// variant table T against the scalar table S and returns its number of failures. A kernel added to
// the list without its test does not link.
#pragma once
#include "dispatch/dispatch.h"

#define KD_DECLARE_TEST(isa, name, P, Kind) int test_##name(const kd::KernelTable& T, const kd::KernelTable& S);
KD_KERNEL_LIST(KD_DECLARE_TEST, _)
#undef KD_DECLARE_TEST

// Checks of the scalar references themselves (ops_test.cc) and of the threaded loss dispatch
// against one range (losses_test.cc).
int test_scalar_ops(const kd::KernelTable& S);
int test_threaded_losses();
