package kube

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// PortForwarder opens a connection to a port of a pod through the API
// server, like `kubectl port-forward` but without a local listener: the
// returned net.Conn is the forwarded stream itself.
type PortForwarder interface {
	DialPod(ctx context.Context, namespace, pod string, port int) (net.Conn, error)
}

// RESTPortForwarder is the PortForwarder of a real cluster (client-go
// portforward protocol, SPDY over WebSocket first, plain SPDY as fallback).
type RESTPortForwarder struct {
	Config *rest.Config
	Client kubernetes.Interface
}

// DialPod implements PortForwarder. Every call opens its own upgraded
// connection, so closing the returned conn releases everything.
func (f *RESTPortForwarder) DialPod(ctx context.Context, namespace, pod string, port int) (net.Conn, error) {
	u := f.Client.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(namespace).Name(pod).SubResource("portforward").URL()
	transport, upgrader, err := spdy.RoundTripperFor(f.Config)
	if err != nil {
		return nil, fmt.Errorf("port-forward to %s/%s: %w", namespace, pod, err)
	}
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	if ws, err := portforward.NewSPDYOverWebsocketDialer(u, f.Config); err == nil {
		dialer = portforward.NewFallbackDialer(ws, dialer, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		})
	}
	type result struct {
		conn httpstream.Connection
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		c, _, err := dialer.Dial(portforward.PortForwardProtocolV1Name)
		ch <- result{c, err}
	}()
	var sc httpstream.Connection
	select {
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, fmt.Errorf("port-forward to %s/%s: %w", namespace, pod, ctx.Err())
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("port-forward to %s/%s: %w", namespace, pod, r.err)
		}
		sc = r.conn
	}

	headers := http.Header{}
	headers.Set(corev1.StreamType, corev1.StreamTypeError)
	headers.Set(corev1.PortHeader, strconv.Itoa(port))
	headers.Set(corev1.PortForwardRequestIDHeader, "0")
	errStream, err := sc.CreateStream(headers)
	if err != nil {
		sc.Close()
		return nil, fmt.Errorf("port-forward to %s/%s:%d: create error stream: %w", namespace, pod, port, err)
	}
	errStream.Close() // we never write to it
	headers.Set(corev1.StreamType, corev1.StreamTypeData)
	data, err := sc.CreateStream(headers)
	if err != nil {
		sc.Close()
		return nil, fmt.Errorf("port-forward to %s/%s:%d: create data stream: %w", namespace, pod, port, err)
	}
	c := &streamConn{data: data, conn: sc, remote: podAddr{namespace, pod, port}}
	go func() {
		msg, _ := io.ReadAll(errStream)
		if len(msg) > 0 {
			c.setErr(fmt.Errorf("port-forward to %s/%s:%d: %s", namespace, pod, port, msg))
			c.Close()
		}
	}()
	return c, nil
}

// streamConn adapts a port-forward data stream to net.Conn. Deadlines are
// not supported by the stream; callers bound their work with contexts.
type streamConn struct {
	data   httpstream.Stream
	conn   httpstream.Connection
	remote podAddr

	mu   sync.Mutex
	err  error
	once sync.Once
}

func (c *streamConn) setErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

func (c *streamConn) wrap(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil && c.err != nil {
		return c.err
	}
	return err
}

func (c *streamConn) Read(b []byte) (int, error) {
	n, err := c.data.Read(b)
	return n, c.wrap(err)
}

func (c *streamConn) Write(b []byte) (int, error) {
	n, err := c.data.Write(b)
	return n, c.wrap(err)
}

func (c *streamConn) Close() error {
	c.once.Do(func() {
		c.data.Reset()
		c.conn.Close()
	})
	return nil
}

func (c *streamConn) LocalAddr() net.Addr                { return podAddr{pod: "kubetutor"} }
func (c *streamConn) RemoteAddr() net.Addr               { return c.remote }
func (c *streamConn) SetDeadline(t time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(t time.Time) error { return nil }

type podAddr struct {
	ns, pod string
	port    int
}

func (a podAddr) Network() string { return "portforward" }
func (a podAddr) String() string  { return fmt.Sprintf("%s/%s:%d", a.ns, a.pod, a.port) }
