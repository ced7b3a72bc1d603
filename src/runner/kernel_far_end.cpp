// SPDX-License-Identifier: MIT
// A second kernel socket as the far end (kernel against kernel). Its calls are the
// runner's, like the near socket's (kernel_actor()); what reached it is what the
// recorder saw on the lab link, since a kernel socket keeps no list of its segments.
#include "rstlab/app.h"
#include "rstlab/far_end.h"

namespace rstlab {
namespace {

class KernelFarEnd final : public FarEnd {
 public:
  KernelFarEnd(Role role, std::unique_ptr<KernelActor> actor, std::function<uint64_t(const Endpoint&)> witness)
      : role_(role), actor_(std::move(actor)), witness_(std::move(witness)) {}

  Role role() const override { return role_; }
  const char* kind() const override { return "kernel"; }
  // Its control socket is polled with the near actor's, as the calls are the runner's.
  std::vector<int> fds() const override { return {}; }
  bool on_readable(int) override { return false; }
  int next_due_ms() const override { return -1; }
  bool release_due() override { return false; }
  uint64_t received_from(const Endpoint& src) const override { return witness_(src); }
  KernelActor* kernel_actor() override { return actor_.get(); }
  bool takes(const Step&) const override { return false; }
  void run_step(const Step& step, FarEndHost& host) override {
    host.fail(step, "this actor is not the crafted peer");
  }

 private:
  Role role_;
  std::unique_ptr<KernelActor> actor_;
  std::function<uint64_t(const Endpoint&)> witness_;
};

}  // namespace

std::unique_ptr<FarEnd> make_kernel_far_end(Role role, std::unique_ptr<KernelActor> actor,
                                            std::function<uint64_t(const Endpoint&)> witness) {
  return std::make_unique<KernelFarEnd>(role, std::move(actor), std::move(witness));
}

}  // namespace rstlab
