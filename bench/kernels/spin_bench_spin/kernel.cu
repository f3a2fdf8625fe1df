// Waits spin_ns nanoseconds on %globaltimer (independent of the SM clock), then copies x to out.
// Thread 0 spins; the barrier holds the block until it is done, so the kernel lasts spin_ns plus
// its launch and the copy.
extern "C" __global__ void spin_bench_spin(const float* __restrict__ x, float* __restrict__ out, int n,
                                           long long spin_ns) {
  if (threadIdx.x == 0) {
    unsigned long long start, now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
    do {
      asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    } while (now - start < (unsigned long long)spin_ns);
  }
  __syncthreads();
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = x[i];
}
