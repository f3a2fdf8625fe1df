#include "ksearch/tasks/definition_text.h"

namespace ksearch::tasks {

namespace {

/// `text` on one line: line breaks and tabs become spaces, runs of spaces one, ends trimmed.
[[nodiscard]] std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

[[nodiscard]] std::string described(const std::string& description) {
  const std::string text = one_line(description);
  return text.empty() ? "" : " (" + text + ")";
}

void append_tensors(std::string& out, const char* header, const std::vector<tensor_spec>& tensors) {
  out += '\n';
  out += header;
  out += '\n';
  for (const tensor_spec& t : tensors) {
    out += "  " + t.name + ": ";
    if (t.shape) {
      out += '[';
      for (std::size_t i = 0; i < t.shape->size(); ++i) out += (i == 0 ? "" : ", ") + (*t.shape)[i];
      out += "] ";
    } else {
      out += "scalar ";
    }
    out += t.dtype + described(t.description) + '\n';
  }
}

}  // namespace

std::string definition_text(const definition& def) {
  std::string out = "Name: " + def.name + "\nType: " + def.op_type + '\n';
  if (const std::string d = one_line(def.description); !d.empty()) out += "Description: " + d + '\n';

  out += "\nAxes:\n";
  for (const axis& a : def.axes) {
    out += "  " + a.name + ": " + (a.is_const ? "constant = " + std::to_string(a.value) : std::string("variable")) +
           described(a.description) + '\n';
  }
  append_tensors(out, "Inputs:", def.inputs);
  append_tensors(out, "Outputs:", def.outputs);
  if (!def.constraints.empty()) {
    out += "\nConstraints:\n";
    for (const std::string& c : def.constraints) out += "  - " + one_line(c) + '\n';
  }
  out += "\nReference Implementation:\n";
  out += def.reference;
  if (!def.reference.empty() && def.reference.back() != '\n') out += '\n';
  return out;
}

}  // namespace ksearch::tasks
