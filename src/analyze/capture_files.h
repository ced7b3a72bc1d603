// SPDX-License-Identifier: MIT
#pragma once
// Internal: several capture files read as one capture (`rstlab analyze a.pcap b.pcap`,
// or a folder). The rotations of tcpdump -C/-G/-W split a capture, and its connections,
// across files: read in the order of their first packets, as one stream with frame
// numbers that go on from file to file, a connection is not lost at a file boundary.
// A file that overlaps the one before it in time, or has another link type, is not part
// of the same capture: it starts a new one (analysed on its own, with its own frame
// numbers), and the group says why.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/analyze.h"

namespace rstlab::detail {

/// One file, as far as its header and first packet tell.
struct CaptureFile {
  std::string path;
  int link_type = 0;
  std::optional<int64_t> first_ns;  ///< its first packet's time (none: it has no packet)
};

/// The files named, a folder standing for the pcap and pcapng files in it (not those
/// below it), each opened to read its link type and first packet's time, in the order
/// of that time (files without packets last). Files in a folder that are not captures
/// are left out and listed in `skipped`. Throws InputError naming the file or folder: a
/// file that cannot be read as a capture, a link type rstlab does not read, a folder
/// with no capture in it.
std::vector<CaptureFile> list_capture_files(const std::vector<std::string>& args, std::vector<std::string>& skipped);

/// Files read together as one capture.
struct CaptureGroup {
  size_t index = 0;                   ///< 0-based, in reading order
  std::vector<std::string> files;     ///< in time order
  std::vector<uint64_t> first_frame;  ///< files[i] holds frames first_frame[i] .. first_frame[i+1]-1
  uint64_t frames = 0;                ///< packets in all of them
  int link_type = 0;
  std::string separate;  ///< why it is not part of the capture before it ("" for the first)
  /// Per file: what went wrong while reading it (a file cut short), by file.
  std::map<std::string, std::string> file_warnings;

  /// The file holding `frame` (1-based).
  const std::string& file_of(uint64_t frame) const;
  /// "a.pcap" for one file; "a.pcap (frames 1-523), b.pcap (524-1000)" for several.
  std::string frames_in() const;
  /// The group in a few words: "a.pcap", or "3 files (a.pcap ... c.pcap)".
  std::string name() const;
};

/// What the caller wants for one group.
struct GroupRun {
  Analyzer::Sink sink;
  AnalyzeOptions options;
};

/// Reads `files` (from list_capture_files, in that order) group by group: begin() is
/// called when a group starts, before its first packet, end() when its last packet was
/// analysed (with the kept packets, AnalyzeOptions::keep_flow); end() returning false
/// stops the reading there. One reader thread decodes ahead across files, so the next
/// file is read while the one before it is analysed. `keep_packets`: the reader copies
/// every packet's bytes for the analyzer to keep (AnalyzeOptions::keep_flow).
void analyze_files(const std::vector<CaptureFile>& files, const std::function<GroupRun(const CaptureGroup&)>& begin,
                   const std::function<bool(const CaptureGroup&, const AnalyzeStats&, std::vector<CapturedPacket>&)>& end,
                   bool keep_packets);

}  // namespace rstlab::detail
