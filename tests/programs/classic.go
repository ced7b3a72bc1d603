// SPDX-License-Identifier: MIT
// The classic reset stories as a Go program meets them, for `rstlab exec` tests (standard
// library only). One process serves and dials localhost:8080, as the articles' programs do.
//   classic broken-pipe     the server closes at once; a later write fails:
//                           "write tcp 127.0.0.1:P->127.0.0.1:8080: write: broken pipe"
//   classic reset-by-peer   the server closes with unread data (RST); the read fails:
//                           "read tcp 127.0.0.1:P->127.0.0.1:8080: read: connection reset by peer"
//   classic epoll-sendmsg   the server's read waits in the runtime's epoll; it reads 1 byte and
//                           closes (RST); the client's next sendmsg(MSG_NOSIGNAL) fails:
//                           "sendmsg: connection reset by peer"
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// againstPeer plays one end against the crafted peer (`rstlab exec --peer`), the other's
// address from os.Args[2] or RSTLAB_SERVER:
//   classic peer-client   writes "a", reads to EOF (the peer closed), writes "b" (answered
//                         by RST), then "c": "write: broken pipe"
//   classic peer-server   listens there, reads what the peer sent, reads again:
//                         "read: connection reset by peer"
func againstPeer(server bool, where string) {
	b := make([]byte, 64)
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if server {
		ln, err := net.Listen("tcp", where)
		if err != nil {
			fail(err)
		}
		c, err := ln.Accept()
		if err != nil {
			fail(err)
		}
		for {
			if _, err := c.Read(b); err == io.EOF {
				return
			} else if err != nil {
				fail(err)
			}
		}
	}
	c, err := net.Dial("tcp", where)
	if err != nil {
		fail(err)
	}
	if _, err := c.Write([]byte("a")); err != nil {
		fail(err)
	}
	for {
		if _, err := c.Read(b); err != nil {
			break // EOF: the peer has closed
		}
	}
	if _, err := c.Write([]byte("b")); err != nil {
		fail(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := c.Write([]byte("c")); err != nil {
		fail(err)
	}
}

// sendmsg writes b with sendmsg(2) and MSG_NOSIGNAL, as a program that passes flags does;
// the runtime's poller waits while the socket is full.
func sendmsg(conn net.Conn, b []byte) error {
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Write(func(fd uintptr) bool {
		_, serr = syscall.SendmsgN(int(fd), b, nil, nil, syscall.MSG_NOSIGNAL)
		return serr != syscall.EAGAIN
	})
	if err != nil {
		return err
	}
	return serr
}

func main() {
	mode := "broken-pipe"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	if mode == "peer-client" || mode == "peer-server" {
		where := os.Getenv("RSTLAB_SERVER")
		if len(os.Args) > 2 {
			where = os.Args[2]
		}
		againstPeer(mode == "peer-server", where)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	served := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err == nil {
			if mode == "reset-by-peer" || mode == "epoll-sendmsg" {
				b := make([]byte, 1)
				c.Read(b) // the other 4 bytes stay unread: Close answers with an RST
			}
			c.Close()
		}
		close(served)
	}()
	conn, err := net.Dial("tcp", "127.0.0.1:8080")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if mode == "epoll-sendmsg" {
		for i := 0; i < 3; i++ {
			if err := sendmsg(conn, []byte("hello")); err != nil {
				fmt.Fprintln(os.Stderr, "sendmsg:", err)
				os.Exit(1)
			}
			if i == 0 {
				<-served
			}
			time.Sleep(20 * time.Millisecond)
		}
		return
	}
	if mode == "reset-by-peer" {
		conn.Write([]byte("hello"))
		<-served
		time.Sleep(20 * time.Millisecond)
		b := make([]byte, 16)
		if _, err := conn.Read(b); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	<-served
	time.Sleep(20 * time.Millisecond)
	for i := 0; i < 3; i++ {
		if _, err := conn.Write([]byte("hello")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
