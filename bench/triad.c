/* STREAM-style triad a[i] = b[i] + s * c[i] on double arrays, OpenMP.
 *
 *   cc -O3 -march=native -fopenmp bench/triad.c -o triad && OMP_NUM_THREADS=1 ./triad [MiB_per_array] [reps]
 *
 * Bandwidth is counted as STREAM does: 3 x 8 bytes per element (read b, read c, write a; the
 * write-allocate read of a is not counted). Each array is max(64 MiB, 4 x L3) by default so that
 * nothing stays in cache (capped at 512 MiB; bench/run.js passes 4 x L3 read from /sys). Prints one JSON line: the best (highest) and median GB/s over reps.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  long l3 = 0;
#ifdef _SC_LEVEL3_CACHE_SIZE
  l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
  long mib = argc > 1 ? atol(argv[1]) : 0;
  if (mib <= 0) {
    mib = 64;
    if (l3 > 0 && 4 * l3 / (1 << 20) > mib) mib = 4 * l3 / (1 << 20);
    if (mib > 512) mib = 512; /* some VMs report an L3 of the whole host; run.js passes the size */
  }
  int reps = argc > 2 ? atoi(argv[2]) : 20;
  if (reps < 3) reps = 3;
  size_t n = (size_t)mib * (1 << 20) / sizeof(double);
  double *a = aligned_alloc(64, n * sizeof(double));
  double *b = aligned_alloc(64, n * sizeof(double));
  double *c = aligned_alloc(64, n * sizeof(double));
  if (!a || !b || !c) { fprintf(stderr, "out of memory\n"); return 1; }
  /* first touch by the same threads that run the triad */
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) { a[i] = 0.0; b[i] = 1.0; c[i] = 2.0; }
  const double s = 3.0;
  double *gbs = malloc(sizeof(double) * reps);
  for (int r = 0; r < reps; r++) {
    double t0 = now();
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
    double t = now() - t0;
    gbs[r] = 3.0 * sizeof(double) * (double)n / t / 1e9;
  }
  double check = a[n / 2];
  qsort(gbs, reps, sizeof(double), cmp);
  printf("{\"threads\":%d,\"mib_per_array\":%ld,\"l3_bytes\":%ld,\"reps\":%d,\"best_gbps\":%.3f,\"median_gbps\":%.3f,"
         "\"bytes_per_element\":24,\"element\":\"double\",\"check\":%g}\n",
         omp_get_max_threads(), mib, l3, reps, gbs[reps - 1], gbs[reps / 2], check);
  free(a); free(b); free(c); free(gbs);
  return 0;
}
