// Package smtptest is a small SMTP server for tests: it speaks EHLO/HELO,
// MAIL, RCPT, DATA, RSET, NOOP and QUIT (RFC 5321) without STARTTLS or
// AUTH, and hands every message it receives to the test.
package smtptest

import (
	"bufio"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
)

// Message is one received mail.
type Message struct {
	From string
	To   []string
	Data string // the message as sent, dot-unstuffed, CRLF line ends
}

// Server is a running test SMTP server.
type Server struct {
	// Host and Port are where it listens.
	Host     string
	Port     int
	Messages chan Message
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
}

// Start listens on 127.0.0.1 and serves until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	s := &Server{Host: "127.0.0.1", Port: addr.Port, Messages: make(chan Message, 100), ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns { // clients that never said QUIT
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[conn] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				conn.Close()
			}()
			s.session(textproto.NewConn(conn))
		}()
	}
}

// session runs one SMTP conversation.
func (s *Server) session(c *textproto.Conn) {
	_ = c.PrintfLine("220 smtptest ESMTP ready")
	var msg Message
	for {
		line, err := c.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			_ = c.PrintfLine("250-smtptest greets %s", arg)
			_ = c.PrintfLine("250-8BITMIME")
			_ = c.PrintfLine("250 SIZE 10485760")
		case "HELO":
			_ = c.PrintfLine("250 smtptest")
		case "MAIL":
			msg = Message{From: address(arg, "FROM:")}
			_ = c.PrintfLine("250 OK")
		case "RCPT":
			if msg.From == "" {
				_ = c.PrintfLine("503 MAIL first")
				continue
			}
			msg.To = append(msg.To, address(arg, "TO:"))
			_ = c.PrintfLine("250 OK")
		case "DATA":
			if len(msg.To) == 0 {
				_ = c.PrintfLine("503 RCPT first")
				continue
			}
			_ = c.PrintfLine("354 end with <CRLF>.<CRLF>")
			data, err := readData(c.R)
			if err != nil {
				return
			}
			msg.Data = data
			s.Messages <- msg
			msg = Message{}
			_ = c.PrintfLine("250 OK queued")
		case "RSET":
			msg = Message{}
			_ = c.PrintfLine("250 OK")
		case "NOOP":
			_ = c.PrintfLine("250 OK")
		case "QUIT":
			_ = c.PrintfLine("221 bye")
			return
		default:
			_ = c.PrintfLine("500 5.5.2 command unrecognized")
		}
	}
}

// address extracts the path of "FROM:<a@b> SIZE=…".
func address(arg, prefix string) string {
	if len(arg) >= len(prefix) && strings.EqualFold(arg[:len(prefix)], prefix) {
		arg = arg[len(prefix):]
	}
	arg, _, _ = strings.Cut(strings.TrimSpace(arg), " ")
	return strings.Trim(arg, "<>")
}

// readData reads the DATA section up to the lone dot, undoing dot-stuffing.
func readData(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", errors.Join(errors.New("smtptest: DATA cut short"), err)
		}
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "." {
			return b.String(), nil
		}
		b.WriteString(strings.TrimPrefix(trimmed, "."))
		b.WriteString("\r\n")
	}
}
