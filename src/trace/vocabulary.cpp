// SPDX-License-Identifier: MIT
#include "rstlab/vocabulary.h"

#include <netinet/tcp.h>

namespace rstlab {

const char* tcp_state_label(TcpState s) {
  switch (s) {
    case TcpState::Closed: return "CLOSE";
    case TcpState::Listen: return "LISTEN";
    case TcpState::SynSent: return "SYN_SENT";
    case TcpState::SynRecv: return "SYN_RECV";
    case TcpState::Established: return "ESTABLISHED";
    case TcpState::FinWait1: return "FIN_WAIT1";
    case TcpState::FinWait2: return "FIN_WAIT2";
    case TcpState::CloseWait: return "CLOSE_WAIT";
    case TcpState::Closing: return "CLOSING";
    case TcpState::LastAck: return "LAST_ACK";
    case TcpState::TimeWait: return "TIME_WAIT";
  }
  return "?";
}

std::optional<TcpState> tcp_state_from_kernel(int s) {
  switch (s) {
    case TCP_ESTABLISHED: return TcpState::Established;
    case TCP_SYN_SENT: return TcpState::SynSent;
    case TCP_SYN_RECV: return TcpState::SynRecv;
    case TCP_FIN_WAIT1: return TcpState::FinWait1;
    case TCP_FIN_WAIT2: return TcpState::FinWait2;
    case TCP_TIME_WAIT: return TcpState::TimeWait;
    case TCP_CLOSE: return TcpState::Closed;
    case TCP_CLOSE_WAIT: return TcpState::CloseWait;
    case TCP_LAST_ACK: return TcpState::LastAck;
    case TCP_LISTEN: return TcpState::Listen;
    case TCP_CLOSING: return TcpState::Closing;
    default: return std::nullopt;
  }
}

const char* call_op_name(CallOp op) {
  switch (op) {
    case CallOp::Other: return "other";
    case CallOp::Socket: return "socket";
    case CallOp::Connect: return "connect";
    case CallOp::Listen: return "listen";
    case CallOp::Accept: return "accept";
    case CallOp::Read: return "read";
    case CallOp::Write: return "write";
    case CallOp::Shutdown: return "shutdown";
    case CallOp::Close: return "close";
    case CallOp::SetSockOpt: return "setsockopt";
    case CallOp::GetSockOpt: return "getsockopt";
    case CallOp::Poll: return "poll";
    case CallOp::Pipe: return "pipe";
  }
  return "other";
}

}  // namespace rstlab
