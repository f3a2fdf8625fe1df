#include "ksearch/cli/terminal_status.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "ksearch/common/posix.h"

namespace ksearch::cli {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr auto redraw_period = std::chrono::milliseconds(250);
constexpr std::size_t default_width = 80;
constexpr std::string_view erase_line = "\r\033[K";  // to column 0, clear to the end of the line

// UTF-8 characters in `text`: every byte that does not continue a character starts one.
std::size_t characters(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The first `count` characters of `text`.
std::string_view first_characters(std::string_view text, std::size_t count) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && seen++ == count) return text.substr(0, i);
  }
  return text;
}

// `text` with control characters (a stray '\r' or escape would wreck the line) as '?'.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = '?';
  }
  return out;
}

std::size_t terminal_width(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return default_width;
}

}  // namespace

bool wants_status_line(bool is_terminal, const char* term, const char* ci) {
  return is_terminal && term != nullptr && *term != '\0' && std::strcmp(term, "dumb") != 0 && ci == nullptr;
}

std::string status_line(std::string_view what, std::string_view detail, double elapsed_s, std::size_t width) {
  std::string body = printable(what);
  if (!detail.empty()) body += " — " + printable(detail);
  char suffix[48];
  std::snprintf(suffix, sizeof suffix, " (%.1f s)", elapsed_s);
  const std::size_t room = width > 1 ? width - 1 : 0;  // the last column stays free: some terminals wrap there
  const std::size_t suffix_size = std::strlen(suffix);
  if (characters(body) + suffix_size <= room) return body + suffix;
  if (room <= suffix_size + 1) {  // a tiny terminal: whatever fits
    const std::string whole = body + suffix;
    return std::string(first_characters(whole, room));
  }
  return std::string(first_characters(body, room - suffix_size - 1)) + "…" + suffix;
}

// ---- the state, shared by the observer, its drawing thread and the guarded log sinks -----------

struct terminal_status::state {
  int fd = STDERR_FILENO;
  bool enabled = false;
  std::mutex mutex;  // guards everything below and every write to fd
  std::condition_variable wake;
  bool stopping = false;
  bool active = false;  // a step is running
  bool shown = false;   // a status line is on the screen
  std::string what;
  std::string detail;
  clock_type::time_point started;

  // Both with `mutex` held.
  void draw() {
    const double elapsed_s = std::chrono::duration<double>(clock_type::now() - started).count();
    // A terminal that refuses the text only loses the status line.
    (void)write_all(fd, std::string(erase_line) + status_line(what, detail, elapsed_s, terminal_width(fd)));
    shown = true;
  }
  void erase() {
    if (!shown) return;
    (void)write_all(fd, erase_line);
    shown = false;
  }
};

// A log sink that erases the status line before its inner sink writes a message; the next tick
// draws the line again, below the message.
class terminal_status::guarded_sink final : public spdlog::sinks::sink {
 public:
  guarded_sink(std::shared_ptr<state> status, std::shared_ptr<spdlog::sinks::sink> inner)
      : status_(std::move(status)), inner_(std::move(inner)) {
    set_level(inner_->level());
  }
  void log(const spdlog::details::log_msg& message) override {
    const std::lock_guard lock(status_->mutex);
    status_->erase();
    inner_->log(message);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<state> status_;
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

// ---- the observer --------------------------------------------------------------------------------

terminal_status::terminal_status()
    : terminal_status(STDERR_FILENO,
                      wants_status_line(::isatty(STDERR_FILENO) != 0, std::getenv("TERM"), std::getenv("CI"))) {}

terminal_status::terminal_status(int fd, bool enabled) : state_(std::make_shared<state>()) {
  state_->fd = fd;
  state_->enabled = enabled;
  if (!enabled) return;
  ticker_ = std::thread([s = state_] {
    std::unique_lock lock(s->mutex);
    while (!s->wake.wait_for(lock, redraw_period, [&] { return s->stopping; })) {
      if (s->active) s->draw();
    }
  });
}

terminal_status::~terminal_status() {
  if (!state_->enabled) return;
  {
    const std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    state_->active = false;
    state_->erase();
  }
  state_->wake.notify_all();
  ticker_.join();
}

void terminal_status::begin(std::string_view what) {
  if (!state_->enabled) return;
  const std::lock_guard lock(state_->mutex);
  state_->what = what;
  state_->detail.clear();
  state_->started = clock_type::now();
  state_->active = true;
  state_->draw();
}

void terminal_status::detail(std::string_view text) {
  if (!state_->enabled) return;
  const std::lock_guard lock(state_->mutex);
  if (!state_->active) return;
  state_->detail = text;
  state_->draw();
}

void terminal_status::end() {
  if (!state_->enabled) return;
  const std::lock_guard lock(state_->mutex);
  state_->active = false;
  state_->erase();
}

bool terminal_status::enabled() const { return state_->enabled; }

void terminal_status::guard_logger(spdlog::logger& logger) {
  if (!state_->enabled) return;
  for (spdlog::sink_ptr& sink : logger.sinks()) {
    // Wrapping a wrapper would lock the (non-recursive) mutex twice.
    if (dynamic_cast<guarded_sink*>(sink.get()) == nullptr) sink = std::make_shared<guarded_sink>(state_, sink);
  }
}

}  // namespace ksearch::cli
