// SPDX-License-Identifier: MIT
#include "rstlab/outputs.h"

#include "rstlab/render.h"
#include "rstlab/trace_json.h"
#include "util/files.h"

namespace rstlab {

std::string write_run_folder(const std::string& out_parent, const RunResult& run) {
  const Trace& t = run.trace;
  const std::string dir = out_parent + "/" + t.scenario + "/" + t.link;
  detail::make_dirs(dir);
  write_pcap(dir + "/capture.pcap", run.link_type, run.packets);
  detail::write_file_atomic(dir + "/trace.json", trace_to_json(t));
  detail::write_file_atomic(dir + "/trace.txt", render_text(t, false));
  return dir;
}

}  // namespace rstlab
