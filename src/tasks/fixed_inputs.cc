#include "ksearch/tasks/fixed_inputs.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "ksearch/common/content_hash.h"
#include "ksearch/tasks/safetensors.h"

namespace ksearch::tasks {

namespace {

// splitmix64: a fixed, portable stream (std::uniform_int_distribution differs between libraries).
class index_rng {
 public:
  explicit index_rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0; the modulo bias is below n / 2^64, far under any use here.
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

index_rng rng_for(const workload& w, const std::string& input) {
  return index_rng(content_hash().add("ksearch fixed inputs v1").add(w.uuid).add(input).value());
}

// `count` distinct values of [0, range), in random order (a partial Fisher–Yates shuffle).
std::vector<std::int64_t> distinct_sample(index_rng& rng, std::int64_t range, std::int64_t count) {
  std::vector<std::int64_t> pool(static_cast<std::size_t>(range));
  std::iota(pool.begin(), pool.end(), std::int64_t{0});
  for (std::int64_t i = 0; i < count; ++i) {
    const auto j = i + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(range - i)));
    std::swap(pool[static_cast<std::size_t>(i)], pool[static_cast<std::size_t>(j)]);
  }
  pool.resize(static_cast<std::size_t>(count));
  return pool;
}

// `total` split into `parts` lengths of at least one: parts - 1 distinct cuts in [1, total).
std::vector<std::int64_t> positive_split(index_rng& rng, std::int64_t total, std::int64_t parts) {
  std::vector<std::int64_t> cuts = distinct_sample(rng, total - 1, parts - 1);
  for (std::int64_t& c : cuts) c += 1;
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::int64_t> lengths;
  std::int64_t previous = 0;
  for (const std::int64_t c : cuts) {
    lengths.push_back(c - previous);
    previous = c;
  }
  lengths.push_back(total - previous);
  return lengths;
}

// `total` split into `parts` lengths of zero or more (split total + parts positively, minus one each).
std::vector<std::int64_t> nonnegative_split(index_rng& rng, std::int64_t total, std::int64_t parts) {
  std::vector<std::int64_t> lengths = positive_split(rng, total + parts, parts);
  for (std::int64_t& l : lengths) l -= 1;
  return lengths;
}

std::vector<std::int32_t> prefix_sums(const std::vector<std::int64_t>& lengths) {
  std::vector<std::int32_t> out{0};
  std::int64_t sum = 0;
  for (const std::int64_t l : lengths) out.push_back(static_cast<std::int32_t>(sum += l));
  return out;
}

const tensor_spec* find_input(const definition& def, const std::string& name) {
  const auto it = std::find_if(def.inputs.begin(), def.inputs.end(), [&](const tensor_spec& t) { return t.name == name; });
  return it == def.inputs.end() ? nullptr : &*it;
}

bool is_generated(const workload& w, const std::string& name) {
  const auto it = w.inputs.find(name);
  return it != w.inputs.end() && it->second.type == input_source::kind::safetensors && it->second.generated;
}

class index_generator {
 public:
  index_generator(const definition& def, const workload& w) : def_(def), w_(w) {}

  result<std::int64_t> axis(const std::string& name, const std::string& input) const {
    const auto it = w_.axes.find(name);
    if (it == w_.axes.end()) {
      return fail(subject(input), "generating it needs the axis '" + name + "', which the definition does not have");
    }
    return it->second;
  }

  // Entries of input `name` under this workload (its shape's product).
  std::int64_t length(const std::string& name) const {
    const tensor_spec* spec = find_input(def_, name);
    return spec == nullptr ? -1 : element_count(*spec, w_);
  }

  result<std::vector<std::int64_t>> query_lengths() {
    if (query_lengths_) return *query_lengths_;
    auto total_q = axis("total_q", "qo_indptr");
    if (!total_q) return std::unexpected(total_q.error());
    const std::int64_t batch = length("qo_indptr") - 1;
    if (batch < 1 || *total_q < batch) {
      return fail(subject("qo_indptr"), "cannot give " + std::to_string(batch) + " sequences at least one of " +
                                            std::to_string(*total_q) + " queries each");
    }
    index_rng rng = rng_for(w_, "qo_indptr");
    query_lengths_ = positive_split(rng, *total_q, batch);
    return *query_lengths_;
  }

  result<std::vector<std::int32_t>> qo_indptr() {
    auto lengths = query_lengths();
    if (!lengths) return std::unexpected(lengths.error());
    return prefix_sums(*lengths);
  }

  result<std::vector<std::int32_t>> kv_indptr() {
    const std::int64_t batch = length("kv_indptr") - 1;
    const std::int64_t tokens = length("kv_indices");
    if (tokens < 0) return fail(subject("kv_indptr"), "generating it needs the input 'kv_indices' (its length is the total)");
    index_rng rng = rng_for(w_, "kv_indptr");
    if (find_input(def_, "qo_indptr") == nullptr) {  // decode: one query per sequence
      if (batch < 1 || tokens < batch) {
        return fail(subject("kv_indptr"), "cannot give " + std::to_string(batch) + " sequences at least one of " +
                                              std::to_string(tokens) + " tokens each");
      }
      return prefix_sums(positive_split(rng, tokens, batch));
    }
    auto queries = query_lengths();  // prefill: every sequence caches its queries plus a prefix
    if (!queries) return std::unexpected(queries.error());
    const std::int64_t total_q = std::accumulate(queries->begin(), queries->end(), std::int64_t{0});
    if (static_cast<std::int64_t>(queries->size()) != batch || tokens < total_q) {
      return fail(subject("kv_indptr"), "prefill needs as many sequences as qo_indptr and at least as many tokens (" +
                                            std::to_string(tokens) + ") as queries (" + std::to_string(total_q) + ")");
    }
    std::vector<std::int64_t> lengths = nonnegative_split(rng, tokens - total_q, batch);
    for (std::size_t b = 0; b < lengths.size(); ++b) lengths[b] += (*queries)[b];
    return prefix_sums(lengths);
  }

  result<std::vector<std::int32_t>> kv_indices() {
    auto pages = axis("num_pages", "kv_indices");
    if (!pages) return std::unexpected(pages.error());
    const std::int64_t tokens = length("kv_indices");
    if (tokens > *pages) {
      return fail(subject("kv_indices"), std::to_string(tokens) + " distinct slots do not fit in num_pages = " +
                                             std::to_string(*pages));
    }
    index_rng rng = rng_for(w_, "kv_indices");
    std::vector<std::int32_t> out;
    for (const std::int64_t slot : distinct_sample(rng, *pages, tokens)) out.push_back(static_cast<std::int32_t>(slot));
    return out;
  }

  std::string subject(const std::string& input) const { return "workload " + w_.uuid + " input '" + input + "'"; }

 private:
  const definition& def_;
  const workload& w_;
  std::optional<std::vector<std::int64_t>> query_lengths_;
};

result<std::vector<std::byte>> blob_bytes(const tensor_spec& spec, const workload& w, const input_source& source,
                                          const std::filesystem::path& dataset_root) {
  const std::filesystem::path file = dataset_root / source.path;
  auto opened = safetensors_file::open(file);
  if (!opened) return std::unexpected(opened.error());
  auto tensor = opened->tensor(source.tensor_key.empty() ? spec.name : source.tensor_key);
  if (!tensor) return std::unexpected(tensor.error());
  const safetensors_tensor& t = tensor->get();
  const std::string subject = file.string() + " tensor '" + t.name + "' (workload " + w.uuid + " input '" + spec.name + "')";
  auto wanted = safetensors_dtype_from_flashinfer(spec.dtype, subject);
  if (!wanted) return std::unexpected(wanted.error());
  if (t.dtype != *wanted) {
    return fail(subject, "has dtype " + std::string(safetensors_code(t.dtype)) + ", the definition says " + spec.dtype);
  }
  if (t.element_count() != element_count(spec, w)) {
    return fail(subject, "has " + std::to_string(t.element_count()) + " elements, the workload's shape gives " +
                             std::to_string(element_count(spec, w)));
  }
  std::vector<std::byte> bytes(t.bytes.size());
  if (!bytes.empty()) std::memcpy(bytes.data(), t.bytes.data(), bytes.size());
  return bytes;
}

bool is_floating_dtype(const std::string& dtype) {
  return dtype.starts_with("float") || dtype == "bfloat16";
}

}  // namespace

result<std::map<std::string, std::vector<std::int32_t>>> generated_index_arrays(const definition& def, const workload& w) {
  index_generator gen(def, w);
  std::map<std::string, std::vector<std::int32_t>> out;
  for (const tensor_spec& spec : def.inputs) {
    if (!is_generated(w, spec.name) || is_floating_dtype(spec.dtype)) continue;
    result<std::vector<std::int32_t>> values = std::vector<std::int32_t>{};
    if (spec.dtype != "int32") {
      return fail(gen.subject(spec.name), "is marked generated but has dtype " + spec.dtype +
                                              "; ksearch generates int32 index arrays only");
    }
    if (spec.name == "qo_indptr") {
      values = gen.qo_indptr();
    } else if (spec.name == "kv_indptr") {
      values = gen.kv_indptr();
    } else if (spec.name == "kv_indices") {
      values = gen.kv_indices();
    } else {
      return fail(gen.subject(spec.name), "is marked generated, but ksearch only knows how to generate qo_indptr, "
                                          "kv_indptr and kv_indices",
                  "provide its safetensors blob and drop \"generated\" from the workload");
    }
    if (!values) return std::unexpected(values.error());
    if (static_cast<std::int64_t>(values->size()) != element_count(spec, w)) {
      return fail(gen.subject(spec.name), "the generated array has " + std::to_string(values->size()) +
                                              " entries, the workload's shape gives " + std::to_string(element_count(spec, w)));
    }
    out.emplace(spec.name, std::move(*values));
  }
  return out;
}

result<std::map<std::string, std::vector<std::byte>>> fixed_inputs(const definition& def, const workload& w,
                                                                   const std::filesystem::path& dataset_root) {
  auto generated = generated_index_arrays(def, w);
  if (!generated) return std::unexpected(generated.error());
  std::map<std::string, std::vector<std::byte>> out;
  for (auto& [name, values] : *generated) {
    std::vector<std::byte> bytes(values.size() * sizeof(std::int32_t));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    out.emplace(name, std::move(bytes));
  }
  for (const tensor_spec& spec : def.inputs) {
    const auto source = w.inputs.find(spec.name);
    if (source == w.inputs.end() || source->second.type != input_source::kind::safetensors || source->second.generated) {
      continue;
    }
    auto bytes = blob_bytes(spec, w, source->second, dataset_root);
    if (!bytes) return std::unexpected(bytes.error());
    out.emplace(spec.name, std::move(*bytes));
  }
  return out;
}

}  // namespace ksearch::tasks
