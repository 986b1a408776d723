// Package fakemysql is a tiny MySQL wire-protocol server for unit tests: it
// speaks just enough of the protocol (handshake v10 with
// mysql_native_password, COM_QUERY with text result sets, COM_PING,
// COM_QUIT) for github.com/go-sql-driver/mysql to connect and query.
package fakemysql

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
)

// Handler answers one query: column names and rows for a result set, nil
// columns for a statement without one, or an error sent as a MySQL error.
type Handler func(query string) (cols []string, rows [][]string, err error)

const (
	capLongPassword   = 0x1
	capLongFlag       = 0x4
	capProtocol41     = 0x200
	capTransactions   = 0x2000
	capSecureConn     = 0x8000
	capPluginAuth     = 0x80000
	statusAutocommit  = 0x2
	comQuit           = 0x01
	comQuery          = 0x03
	comPing           = 0x0e
	typeVarString     = 0xfd
	charsetUTF8       = 33
	defaultServerName = "10.11.0-fakemysql"
)

type conn struct {
	c   net.Conn
	seq byte
}

func (c *conn) write(payload []byte) error {
	h := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), c.seq}
	c.seq++
	_, err := c.c.Write(append(h, payload...))
	return err
}

func (c *conn) read() ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(c.c, h[:]); err != nil {
		return nil, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	c.seq = h[3] + 1
	b := make([]byte, n)
	_, err := io.ReadFull(c.c, b)
	return b, err
}

func lenenc(b *bytes.Buffer, n int) {
	switch {
	case n < 251:
		b.WriteByte(byte(n))
	case n < 1<<16:
		b.WriteByte(0xfc)
		b.WriteByte(byte(n))
		b.WriteByte(byte(n >> 8))
	default:
		b.WriteByte(0xfd)
		b.WriteByte(byte(n))
		b.WriteByte(byte(n >> 8))
		b.WriteByte(byte(n >> 16))
	}
}

func lenencStr(b *bytes.Buffer, s string) {
	lenenc(b, len(s))
	b.WriteString(s)
}

func ok() []byte { return []byte{0x00, 0, 0, statusAutocommit, 0, 0, 0} }

func eof() []byte { return []byte{0xfe, 0, 0, statusAutocommit, 0} }

func errPacket(msg string) []byte {
	var b bytes.Buffer
	b.WriteByte(0xff)
	b.Write([]byte{0x28, 0x04}) // 1064
	b.WriteString("#42000")
	b.WriteString(msg)
	return b.Bytes()
}

// Serve speaks MySQL on c until the client quits or the connection fails.
func Serve(c net.Conn, h Handler) {
	defer c.Close()
	cn := &conn{c: c}
	caps := uint32(capLongPassword | capLongFlag | capProtocol41 | capTransactions | capSecureConn | capPluginAuth)
	var b bytes.Buffer
	b.WriteByte(10)
	b.WriteString(defaultServerName)
	b.WriteByte(0)
	binary.Write(&b, binary.LittleEndian, uint32(1))
	b.WriteString("abcdefgh")
	b.WriteByte(0)
	binary.Write(&b, binary.LittleEndian, uint16(caps))
	b.WriteByte(charsetUTF8)
	binary.Write(&b, binary.LittleEndian, uint16(statusAutocommit))
	binary.Write(&b, binary.LittleEndian, uint16(caps>>16))
	b.WriteByte(21)
	b.Write(make([]byte, 10))
	b.WriteString("ijklmnopqrst")
	b.WriteByte(0)
	b.WriteString("mysql_native_password")
	b.WriteByte(0)
	if cn.write(b.Bytes()) != nil {
		return
	}
	if _, err := cn.read(); err != nil { // handshake response: accept anyone
		return
	}
	if cn.write(ok()) != nil {
		return
	}
	for {
		p, err := cn.read()
		if err != nil || len(p) == 0 {
			return
		}
		switch p[0] {
		case comQuit:
			return
		case comPing:
			if cn.write(ok()) != nil {
				return
			}
		case comQuery:
			cols, rows, err := h(string(p[1:]))
			if err != nil {
				if cn.write(errPacket(err.Error())) != nil {
					return
				}
				continue
			}
			if cols == nil {
				if cn.write(ok()) != nil {
					return
				}
				continue
			}
			if writeResult(cn, cols, rows) != nil {
				return
			}
		default:
			if cn.write(errPacket("unsupported command")) != nil {
				return
			}
		}
	}
}

func writeResult(cn *conn, cols []string, rows [][]string) error {
	var b bytes.Buffer
	lenenc(&b, len(cols))
	if err := cn.write(b.Bytes()); err != nil {
		return err
	}
	for _, name := range cols {
		b.Reset()
		lenencStr(&b, "def")
		lenencStr(&b, "")
		lenencStr(&b, "")
		lenencStr(&b, "")
		lenencStr(&b, name)
		lenencStr(&b, name)
		b.WriteByte(0x0c)
		binary.Write(&b, binary.LittleEndian, uint16(charsetUTF8))
		binary.Write(&b, binary.LittleEndian, uint32(255))
		b.WriteByte(typeVarString)
		binary.Write(&b, binary.LittleEndian, uint16(0))
		b.WriteByte(0)
		b.Write([]byte{0, 0})
		if err := cn.write(b.Bytes()); err != nil {
			return err
		}
	}
	if err := cn.write(eof()); err != nil {
		return err
	}
	for _, r := range rows {
		b.Reset()
		for _, v := range r {
			if v == "NULL" {
				b.WriteByte(0xfb)
				continue
			}
			lenencStr(&b, v)
		}
		if err := cn.write(b.Bytes()); err != nil {
			return err
		}
	}
	return cn.write(eof())
}
