// SPDX-License-Identifier: MIT
#pragma once
/// @file The far end: whatever plays the other end of the kernel socket under test.
///
/// The runner drives every far end through this one interface and knows no concrete
/// kind: today the crafted libtins peer (make_crafted_peer) and a second real kernel
/// socket (make_kernel_far_end, kernel against kernel); a replayer that plays captured
/// segments back is a third implementation of the same interface. A far end
///  - takes part in the runner's single poll() loop: descriptors to watch, and timers
///    (a segment held back by `delay`, a replay's next packet) as "due in N ms";
///  - says how many segments from an endpoint reached it, so the runner can settle
///    until everything a kernel socket sent has landed;
///  - runs the scenario steps of its role, with the runner's loop, deadlines and trace
///    lent to it (FarEndHost);
///  - reports what it does on its own (an RST for data after close) as trace actions.
/// See docs/architecture.md.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/link.h"
#include "rstlab/scenario.h"
#include "rstlab/vocabulary.h"

namespace rstlab {

class KernelActor;

/// What the runner lends a far end while it runs one of its steps.
class FarEndHost {
 public:
  virtual ~FarEndHost() = default;
  /// Services everything (recorder, far end, actors) until `done()` or `limit` has
  /// passed, waiting on descriptors with that deadline. Returns done().
  virtual bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) = 0;
  /// How long one step may wait.
  virtual std::chrono::milliseconds step_timeout() const = 0;
  /// Adds an action of the far end's role to the trace, attributed to `step`.
  virtual void add_step_action(const Step& step, const std::string& action, const std::string& detail,
                               int64_t t_ns, std::optional<bool> met = std::nullopt) = 0;
  /// Records that `step` failed, and why.
  virtual void fail(const Step& step, const std::string& what) = 0;
  /// Lets everything in flight land (every segment the kernel sockets sent has arrived).
  virtual void settle() = 0;
};

class FarEnd {
 public:
  virtual ~FarEnd() = default;

  /// The end it plays (client or server).
  virtual Role role() const = 0;
  /// What it is, as the trace names actor kinds: "peer", "kernel".
  virtual const char* kind() const = 0;

  // ---- the event loop ------------------------------------------------------
  /// Descriptors the runner polls (POLLIN) for it; on_readable(fd) when one is ready.
  virtual std::vector<int> fds() const = 0;
  /// Handles what waits on `fd`. True when anything concerned this connection.
  virtual bool on_readable(int fd) = 0;
  /// Milliseconds until something of its own is due (-1: nothing scheduled).
  virtual int next_due_ms() const = 0;
  /// Does whatever is due now. True when anything happened.
  virtual bool release_due() = 0;

  // ---- what reached it -----------------------------------------------------
  /// Segments from `src` that reached this far end so far.
  virtual uint64_t received_from(const Endpoint& src) const = 0;
  /// The kernel actor that plays this end, for a kernel socket (its Call and Wait steps
  /// are the runner's, like the near socket's); nullptr for any other kind.
  virtual KernelActor* kernel_actor() { return nullptr; }

  // ---- scripted steps --------------------------------------------------------
  /// Whether it can run this step (the crafted peer: the peer verbs).
  virtual bool takes(const Step& step) const = 0;
  /// Runs one of its steps; failures and actions go through `host`.
  virtual void run_step(const Step& step, FarEndHost& host) = 0;

  /// Set by the runner: what the far end does on its own, as (action, detail), goes to
  /// the trace as an action of its role at the moment it is called.
  std::function<void(const std::string& action, const std::string& detail)> on_action;
};

/// The crafted libtins peer at `self`, facing the kernel socket at `kernel`, sending and
/// receiving through `link`. As the server it answers the kernel's SYN; as the client
/// it connects when its script says `connect`. It offers `offer` in its SYN or SYN-ACK.
std::unique_ptr<FarEnd> make_crafted_peer(Role role, PeerLink& link, const Endpoint& self,
                                          const Endpoint& kernel, const PeerOffer& offer);

/// A second kernel socket playing `role` (kernel against kernel): `actor` runs its calls;
/// `witness` counts the segments from an endpoint that reached it (the recorder on the
/// lab link sees them: a kernel socket has no list of what it received).
std::unique_ptr<FarEnd> make_kernel_far_end(Role role, std::unique_ptr<KernelActor> actor,
                                            std::function<uint64_t(const Endpoint&)> witness);

}  // namespace rstlab
