#include "ksearch/search/round_record.h"

#include <chrono>
#include <ctime>

#include "ksearch/common/content_hash.h"
#include "ksearch/common/json.h"
#include "ksearch/common/json_fields.h"

namespace ksearch::search {

std::string solution_id(const tasks::solution& s) {
  content_hash hash;
  hash.add(s.definition).add(s.language);
  for (const tasks::source_file& f : s.sources) hash.add(f.path).add(f.content);
  return hash.hex();
}

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

const round_record* batch_representative(const std::vector<round_record>& batch) {
  const round_record* best = nullptr;
  const round_record* last_with_code = nullptr;
  for (const round_record& r : batch) {
    if (r.score() && (best == nullptr || *r.score() > *best->score())) best = &r;
    if (r.solution) last_with_code = &r;
  }
  return best != nullptr ? best : last_with_code;
}

json to_json(const round_record& r) {
  json usage = {{"calls", r.usage.calls},
                {"prompt_tokens", optional_count(r.usage.prompt_tokens)},
                {"completion_tokens", optional_count(r.usage.completion_tokens)},
                {"reasoning_tokens", optional_count(r.usage.reasoning_tokens)},
                {"cost_usd", optional_number(r.usage.cost_usd)}};
  return {{"kind", r.kind},
          {"round", r.round},
          {"time", r.time},
          {"node_id", r.node_id},
          {"cycle_start_round", r.cycle_start_round},
          {"prompt_kind", r.prompt_kind},
          {"prompt_round", r.prompt_round},
          {"samples", r.samples},
          {"solution_id", r.solution_id},
          {"solution", r.solution ? tasks::to_json(*r.solution) : json(nullptr)},
          {"raw_reply", r.raw_reply},
          {"evaluation", to_json(r.evaluation)},
          {"reused_from_round", r.reused_from_round >= 0 ? json(r.reused_from_round) : json(nullptr)},
          {"usage", usage}};
}

result<round_record> round_record_from_json(const json& doc, const std::string& where) {
  if (!doc.is_object()) return fail(where, "a round record must be a JSON object");
  round_record r;
  r.kind = string_at(doc, "kind");
  if (r.kind != "round" && r.kind != "seed") return fail(where + ": kind", "must be \"round\" or \"seed\"");
  const auto round = doc.find("round");
  if (round == doc.end() || !round->is_number_integer() || round->get<int>() < 0) {
    return fail(where + ": round", "must be a non-negative integer");
  }
  r.round = round->get<int>();
  r.time = string_at(doc, "time");
  r.node_id = string_at(doc, "node_id");
  r.cycle_start_round = int_at(doc, "cycle_start_round", 0);
  r.prompt_kind = string_at(doc, "prompt_kind");
  r.prompt_round = int_at(doc, "prompt_round", r.round);  // records from before batches: asked alone
  r.samples = int_at(doc, "samples", 1);
  r.solution_id = string_at(doc, "solution_id");
  r.raw_reply = string_at(doc, "raw_reply");
  if (const auto s = doc.find("solution"); s != doc.end() && s->is_object()) {
    auto parsed = tasks::parse_solution(*s, where + ": solution");
    if (!parsed) return std::unexpected(parsed.error());
    r.solution = std::move(*parsed);
  }
  if (const auto e = doc.find("evaluation"); e != doc.end()) {
    auto evaluation = evaluation_outcome_from_json(*e, where + ": evaluation");
    if (!evaluation) return std::unexpected(evaluation.error());
    r.evaluation = std::move(*evaluation);
  }
  if (const auto reused = doc.find("reused_from_round"); reused != doc.end() && reused->is_number_integer()) {
    r.reused_from_round = reused->get<int>();
  }
  if (const auto u = doc.find("usage"); u != doc.end() && u->is_object()) {
    r.usage.calls = u->value("calls", 0);
    r.usage.prompt_tokens = count_at(*u, "prompt_tokens");
    r.usage.completion_tokens = count_at(*u, "completion_tokens");
    r.usage.reasoning_tokens = count_at(*u, "reasoning_tokens");
    r.usage.cost_usd = number_at(*u, "cost_usd");
  }
  return r;
}

}  // namespace ksearch::search
