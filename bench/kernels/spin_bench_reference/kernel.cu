// The reference: copies x to out, without waiting.
extern "C" __global__ void spin_bench_copy(const float* __restrict__ x, float* __restrict__ out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = x[i];
}
