// The on-disk cubin cache, with real NVRTC compiles where the output matters (NVRTC needs no GPU)
// and small synthetic outputs where only the cache's bookkeeping is under test.
#include "ksearch/eval/compile/cubin_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace ksearch::eval {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKernel = R"(
extern "C" __global__ void axpy(float* y, const float* x, float a, unsigned int n) {
  const unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] += a * x[i];
}
)";

compile_request kernel_request(std::string source = kKernel) {
  return {.source = std::move(source), .file_name = "kernel.cu", .arch = "sm_90a", .extra_options = {}};
}

// An output with made-up bytes: enough to exercise storage, keys and eviction without NVRTC.
compile_output synthetic_output(std::size_t cubin_bytes, char fill) {
  return {.cubin = std::string(cubin_bytes, fill),
          .log = "kernel.cu(3): warning: something",
          .kernels = {{.name = "axpy", .registers = 12, .barriers = 1, .static_smem_bytes = 256,
                       .stack_frame_bytes = 8, .spill_store_bytes = 4, .spill_load_bytes = 4}},
          .compile_ms = 123.0};
}

void expect_same_kernels(const std::vector<kernel_resources>& a, const std::vector<kernel_resources>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].registers, b[i].registers);
    EXPECT_EQ(a[i].barriers, b[i].barriers);
    EXPECT_EQ(a[i].static_smem_bytes, b[i].static_smem_bytes);
    EXPECT_EQ(a[i].stack_frame_bytes, b[i].stack_frame_bytes);
    EXPECT_EQ(a[i].spill_store_bytes, b[i].spill_store_bytes);
    EXPECT_EQ(a[i].spill_load_bytes, b[i].spill_load_bytes);
  }
}

std::size_t entry_count(const fs::path& dir) {
  std::error_code ec;
  std::size_t count = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".entry") ++count;
  }
  return count;
}

void set_age(const fs::path& file, std::chrono::minutes age) {
  fs::last_write_time(file, fs::file_time_type::clock::now() - age);
}

class CubinCache : public testing::Test {
 protected:
  test_support::temp_dir temp_;
  fs::path dir_ = temp_.path() / "cubin";
};

TEST_F(CubinCache, MissThenHitGivesTheSameCubinWithoutCompiling) {
  cubin_cache cache(dir_);
  auto first = compile_cached(kernel_request(), &cache);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_FALSE(first->from_cache);
  EXPECT_GT(first->compile_ms, 0.0);
  EXPECT_TRUE(fs::is_regular_file(cache.entry_path(kernel_request())));

  auto second = compile_cached(kernel_request(), &cache);
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->compile_ms, 0.0);
  EXPECT_TRUE(second->cubin == first->cubin) << "cubins differ (" << second->cubin.size() << " vs "
                                             << first->cubin.size() << " bytes)";
  EXPECT_EQ(second->log, first->log);
  ASSERT_FALSE(first->kernels.empty());
  expect_same_kernels(second->kernels, first->kernels);
}

TEST_F(CubinCache, ANewCacheObjectOnTheSameFolderHits) {
  const compile_output stored = synthetic_output(1000, 'a');
  cubin_cache(dir_).store(kernel_request(), stored);
  cubin_cache reopened(dir_);
  auto hit = reopened.lookup(kernel_request());
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->cubin, stored.cubin);
  EXPECT_EQ(hit->log, stored.log);
  expect_same_kernels(hit->kernels, stored.kernels);
  EXPECT_TRUE(hit->from_cache);
  EXPECT_EQ(hit->compile_ms, 0.0);
}

TEST_F(CubinCache, ADifferentArchSourceOptionOrFileNameIsAMiss) {
  cubin_cache cache(dir_);
  cache.store(kernel_request(), synthetic_output(100, 'a'));
  ASSERT_TRUE(cache.lookup(kernel_request()).has_value());

  compile_request other_arch = kernel_request();
  other_arch.arch = "sm_80";
  compile_request other_source = kernel_request(std::string(kKernel) + "\n");
  compile_request other_option = kernel_request();
  other_option.extra_options = {"-DTILE=64"};
  compile_request other_file = kernel_request();
  other_file.file_name = "other.cu";
  for (const compile_request& request : {other_arch, other_source, other_option, other_file}) {
    EXPECT_NE(cubin_cache::key(request), cubin_cache::key(kernel_request()));
    EXPECT_FALSE(cache.lookup(request).has_value()) << request.arch << " " << request.file_name;
  }
  // The options' order counts too: NVRTC reads them in order.
  compile_request ab = kernel_request();
  ab.extra_options = {"-DA=1", "-DA=2"};
  compile_request ba = kernel_request();
  ba.extra_options = {"-DA=2", "-DA=1"};
  EXPECT_NE(cubin_cache::key(ab), cubin_cache::key(ba));
}

TEST_F(CubinCache, KeyIsStableAndHex) {
  const std::string key = cubin_cache::key(kernel_request());
  EXPECT_EQ(key, cubin_cache::key(kernel_request()));
  ASSERT_EQ(key.size(), 16u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
}

TEST_F(CubinCache, TruncatedEntryIsAMissAndIsReplacedByTheNextCompile) {
  cubin_cache cache(dir_);
  auto first = compile_cached(kernel_request(), &cache);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  const fs::path entry = cache.entry_path(kernel_request());
  const auto full_size = fs::file_size(entry);
  fs::resize_file(entry, full_size / 2);

  EXPECT_FALSE(cache.lookup(kernel_request()).has_value());
  EXPECT_FALSE(fs::exists(entry)) << "a corrupt entry is removed";
  EXPECT_TRUE(cache.usable()) << "corruption is a miss, not an I/O failure";

  auto again = compile_cached(kernel_request(), &cache);
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_FALSE(again->from_cache);
  // Whole again (the header's compile time may take a digit more or less than before).
  EXPECT_GT(fs::file_size(entry), full_size / 2 + 100);
  auto hit = compile_cached(kernel_request(), &cache);
  ASSERT_TRUE(hit.has_value());
  EXPECT_TRUE(hit->from_cache);
  EXPECT_TRUE(hit->cubin == first->cubin);
}

TEST_F(CubinCache, GarbageEntryIsAMissAndIsRemoved) {
  cubin_cache cache(dir_);
  const fs::path entry = cache.entry_path(kernel_request());
  for (const std::string& garbage : {std::string("not a cache entry"), std::string("{\"key\": 1}\ncubin"),
                                    std::string("[1,2,3]\n"), std::string("\x7f" "ELF\0\0\0", 7), std::string()}) {
    temp_.write("cubin/" + entry.filename().string(), garbage);
    EXPECT_FALSE(cache.lookup(kernel_request()).has_value()) << garbage;
    EXPECT_FALSE(fs::exists(entry)) << garbage;
  }
  cache.store(kernel_request(), synthetic_output(64, 'z'));
  EXPECT_TRUE(cache.lookup(kernel_request()).has_value());
  EXPECT_TRUE(cache.usable());
}

TEST_F(CubinCache, AFlippedCubinByteIsAMiss) {
  cubin_cache cache(dir_);
  cache.store(kernel_request(), synthetic_output(500, 'a'));
  const fs::path entry = cache.entry_path(kernel_request());
  std::string content;
  {
    std::ifstream in(entry, std::ios::binary);
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(content.back(), 'a');
  content[content.size() - 10] = 'b';  // inside the cubin: same size, different bytes
  temp_.write("cubin/" + entry.filename().string(), content);
  EXPECT_FALSE(cache.lookup(kernel_request()).has_value());
}

TEST_F(CubinCache, AnEntryUnderAnotherRequestsKeyIsAMiss) {
  // Stands in for a hash collision: the right file name, but written for another request.
  cubin_cache cache(dir_);
  const compile_request other = kernel_request("extern \"C\" __global__ void other() {}\n");
  cache.store(other, synthetic_output(100, 'o'));
  fs::rename(cache.entry_path(other), cache.entry_path(kernel_request()));
  EXPECT_FALSE(cache.lookup(kernel_request()).has_value());
}

TEST_F(CubinCache, SizeCapEvictsTheLeastRecentlyUsed) {
  const compile_request a = kernel_request("// a\n");
  const compile_request b = kernel_request("// b\n");
  const compile_request c = kernel_request("// c\n");
  std::uintmax_t entry_bytes = 0;
  {
    cubin_cache probe(temp_.path() / "probe");
    probe.store(a, synthetic_output(4000, 'a'));
    entry_bytes = fs::file_size(probe.entry_path(a));
  }
  // Room for two entries, not three (all three are the same size).
  cubin_cache cache(dir_, entry_bytes * 2 + entry_bytes / 2);
  cache.store(a, synthetic_output(4000, 'a'));
  cache.store(b, synthetic_output(4000, 'b'));
  set_age(cache.entry_path(a), std::chrono::minutes(120));  // a: written first
  set_age(cache.entry_path(b), std::chrono::minutes(60));
  ASSERT_TRUE(cache.lookup(a).has_value());  // a is now the most recently used
  cache.store(c, synthetic_output(4000, 'c'));

  EXPECT_TRUE(fs::exists(cache.entry_path(a)));
  EXPECT_FALSE(fs::exists(cache.entry_path(b))) << "b was the least recently used";
  EXPECT_TRUE(fs::exists(cache.entry_path(c)));
  EXPECT_EQ(entry_count(dir_), 2u);
  EXPECT_TRUE(cache.lookup(c).has_value());
}

TEST_F(CubinCache, AnEntryLargerThanTheCapIsKeptAlone) {
  cubin_cache cache(dir_, 1000);
  cache.store(kernel_request("// a\n"), synthetic_output(400, 'a'));
  cache.store(kernel_request("// b\n"), synthetic_output(5000, 'b'));
  EXPECT_EQ(entry_count(dir_), 1u);
  EXPECT_TRUE(cache.lookup(kernel_request("// b\n")).has_value());
}

TEST_F(CubinCache, StaleTempFilesAreRemovedByTheEvictionScan) {
  cubin_cache cache(dir_);
  const fs::path stale = temp_.write("cubin/0123456789abcdef.entry.tmp-99999", "half an entry");
  const fs::path fresh = temp_.write("cubin/fedcba9876543210.entry.tmp-99998", "being written");
  set_age(stale, std::chrono::minutes(120));
  cache.store(kernel_request(), synthetic_output(10, 'x'));
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh)) << "another process may still be writing it";
}

TEST_F(CubinCache, AFailedCompileIsNotCached) {
  cubin_cache cache(dir_);
  const compile_request broken = kernel_request("extern \"C\" __global__ void k(float* p) { p[0] = 1.0f }\n");
  auto compiled = compile_cached(broken, &cache);
  ASSERT_FALSE(compiled.has_value());
  EXPECT_NE(compiled.error().problem.find("NVRTC_ERROR_COMPILATION"), std::string::npos) << compiled.error().problem;
  EXPECT_FALSE(fs::exists(cache.entry_path(broken)));
  EXPECT_EQ(entry_count(dir_), 0u);
  EXPECT_FALSE(cache.lookup(broken).has_value());
}

TEST_F(CubinCache, AnUnwritableFolderTurnsTheCacheOffButTheCompileSucceeds) {
  // A regular file where the cache's parent folder should be: nothing can be created below it.
  temp_.write("blocker", "a file");
  cubin_cache cache(temp_.path() / "blocker" / "cubin");
  auto compiled = compile_cached(kernel_request(), &cache);
  ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
  EXPECT_FALSE(compiled->from_cache);
  EXPECT_FALSE(compiled->cubin.empty());
  EXPECT_FALSE(cache.usable());
  EXPECT_FALSE(cache.lookup(kernel_request()).has_value());
}

TEST_F(CubinCache, NoCacheStillCompiles) {
  auto compiled = compile_cached(kernel_request("extern \"C\" __global__ void nothing() {}\n"), nullptr);
  ASSERT_TRUE(compiled.has_value()) << compiled.error().to_string();
  EXPECT_FALSE(compiled->from_cache);
}

TEST_F(CubinCache, ConcurrentStoresAndLookupsOfOneKeyNeverSeeHalfAnEntry) {
  cubin_cache cache(dir_);
  const compile_output stored = synthetic_output(200'000, 's');
  std::vector<std::thread> threads;
  std::vector<int> bad(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (t % 2 == 0) {
          cache.store(kernel_request(), stored);
        } else if (auto hit = cache.lookup(kernel_request()); hit && hit->cubin != stored.cubin) {
          ++bad[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(bad, std::vector<int>(8, 0));
  EXPECT_TRUE(cache.usable());
  auto hit = cache.lookup(kernel_request());
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->cubin, stored.cubin);
}

TEST(CubinCacheDir, KsearchVariableComesFirstAndOffDisables) {
  EXPECT_EQ(cubin_cache_dir("/x/cache", "/xdg", "/home/u"), fs::path("/x/cache"));
  EXPECT_EQ(cubin_cache_dir("off", "/xdg", "/home/u"), std::nullopt);
  EXPECT_EQ(cubin_cache_dir("OFF", "/xdg", "/home/u"), std::nullopt);
}

TEST(CubinCacheDir, XdgCacheHomeThenHome) {
  EXPECT_EQ(cubin_cache_dir(nullptr, "/xdg", "/home/u"), fs::path("/xdg/ksearch/cubin"));
  EXPECT_EQ(cubin_cache_dir("", "/xdg", "/home/u"), fs::path("/xdg/ksearch/cubin"));
  EXPECT_EQ(cubin_cache_dir(nullptr, "relative/xdg", "/home/u"), fs::path("/home/u/.cache/ksearch/cubin"));
  EXPECT_EQ(cubin_cache_dir(nullptr, nullptr, "/home/u"), fs::path("/home/u/.cache/ksearch/cubin"));
  EXPECT_EQ(cubin_cache_dir(nullptr, "", ""), std::nullopt);
}

/// Sets KSEARCH_CUBIN_CACHE for one test and restores it afterwards.
class CubinCacheEnvironment : public testing::Test {
 protected:
  void SetUp() override {
    if (const char* value = std::getenv("KSEARCH_CUBIN_CACHE")) saved_ = value;
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("KSEARCH_CUBIN_CACHE", saved_->c_str(), 1);
    } else {
      ::unsetenv("KSEARCH_CUBIN_CACHE");
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST_F(CubinCacheEnvironment, OffGivesNoCache) {
  ::setenv("KSEARCH_CUBIN_CACHE", "off", 1);
  EXPECT_EQ(cubin_cache::from_environment(), nullptr);
}

TEST_F(CubinCacheEnvironment, AFolderGivesACacheThere) {
  test_support::temp_dir temp;
  ::setenv("KSEARCH_CUBIN_CACHE", (temp.path() / "c").c_str(), 1);
  auto cache = cubin_cache::from_environment(12345);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->dir(), temp.path() / "c");
  EXPECT_EQ(cache->max_bytes(), 12345u);
}

}  // namespace
}  // namespace ksearch::eval
