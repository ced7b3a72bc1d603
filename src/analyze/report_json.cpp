// SPDX-License-Identifier: MIT
#include "analyze/report_json.h"

#include "rstlab/tcp_model.h"
#include "util/json_writer.h"

namespace rstlab::detail {
namespace {

/// An endpoint's text without allocating.
struct EndpointText {
  explicit EndpointText(const Endpoint& e) : n(e.format(buf)) {}
  std::string_view view() const { return {buf, n}; }
  char buf[Endpoint::kTextSize];
  size_t n;
};

}  // namespace

void append_connection_json(std::string& out, const ConnectionReport& c, const std::vector<std::string_view>* files) {
  JsonWriter j(out);
  const EndpointText a(c.a), b(c.b);
  j.begin_object()
      .field("id", c.id)
      .field("a", a.view())
      .field("b", b.view())
      .field("ending", c.ending)
      .field("mid_stream", c.mid_stream)
      .field("anomaly", c.anomaly)
      .field("packets", c.packets)
      .field("first_frame", c.first_frame)
      .field("last_frame", c.last_frame);
  j.key("resets").begin_array();
  for (const ResetReport& r : c.resets) {
    j.begin_object()
        .field("frame", r.frame)
        .field("from", EndpointText(r.from).view())
        .field("to", EndpointText(r.to).view())
        .field("reaction", rst_reaction_name(r.reaction))
        .field("cause", r.cause);
    j.key("cause_rule");
    if (r.cause_rule == RuleId::None) j.null();
    else j.value(rule_name(r.cause_rule));
    j.field("rule", rule_name(r.rule));
    j.key("errno");
    if (!r.err) j.null();
    else if (const char* name = known_errno_name(r.err)) j.value(name);
    else j.value(errno_name(r.err));
    j.field("explanation", r.explanation).field("checksum", r.checksum).end_object();
  }
  j.end_array();
  j.key("fins").begin_array();
  for (const FinReport& f : c.fins)
    j.begin_object()
        .field("frame", f.frame)
        .field("from", EndpointText(f.from).view())
        .field("to", EndpointText(f.to).view())
        .end_object();
  j.end_array();
  j.key("predicted").begin_object();
  for (int s = 0; s < 2; ++s) {
    const EndpointPrediction& p = c.predicted[s];
    j.key(s == 0 ? a.view() : b.view())
        .begin_object()
        .field("next_read", p.next_read)
        .field("next_write", p.next_write)
        .field("write_raises_sigpipe", p.write_raises_sigpipe)
        .field("so_error", p.so_error)
        .field("why", p.why)
        .field("inferred", p.inferred);
    if (!p.unknown.empty()) j.field("unknown", p.unknown);
    j.end_object();
  }
  j.end_object();
  j.key("notes").begin_array();
  for (const std::string& n : c.notes) j.value(n);
  j.end_array();
  if (files) {
    j.key("files").begin_array();
    for (std::string_view f : *files) j.value(f);
    j.end_array();
  }
  j.end_object();
  out += '\n';
}

}  // namespace rstlab::detail
