package step

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// mysqlPort is the port SQL goes to when the target is a pod.
const mysqlPort = 3306

// sqlConn is one SQL connection over a port-forward, and the pod behind it.
type sqlConn struct {
	db   *sql.DB
	conn *sql.Conn
	pod  string
}

func (c *sqlConn) Close() {
	if c.conn != nil {
		c.conn.Close()
	}
	c.db.Close()
}

// errNoEndpoint means a service has no ready endpoint to connect to.
type errNoEndpoint struct{ service string }

func (e errNoEndpoint) Error() string {
	return fmt.Sprintf("service %q has no ready endpoint", e.service)
}

// dialSQL opens one connection to the target: the pod itself, or one ready
// endpoint of the service picked at random from its EndpointSlices — the
// same set the Service balances over. The go-sql-driver connector gets its
// own dial function (Config.DialFunc), so nothing is registered globally.
func dialSQL(ctx context.Context, env *Env, t SQLTarget) (*sqlConn, error) {
	var mu sync.Mutex
	picked := t.Pod
	cfg := mysql.NewConfig()
	cfg.User = t.User
	if cfg.User == "" {
		cfg.User = "root"
	}
	cfg.Net = "tcp"
	cfg.Addr = t.Pod + t.Service + ":3306" // shown in driver errors only
	cfg.Timeout = 20 * time.Second
	cfg.DialFunc = func(ctx context.Context, _, _ string) (net.Conn, error) {
		pod, port := t.Pod, mysqlPort
		if pod == "" {
			var err error
			if pod, port, err = pickEndpoint(ctx, env, t.Service); err != nil {
				return nil, err
			}
		}
		mu.Lock()
		picked = pod
		mu.Unlock()
		return env.Cluster.Forward.DialPod(ctx, env.Namespace(), pod, port)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxIdleConns(0) // every connection is a fresh pick of an endpoint
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	return &sqlConn{db: db, conn: conn, pod: picked}, nil
}

// pickEndpoint returns a random ready endpoint's pod and port of service.
func pickEndpoint(ctx context.Context, env *Env, service string) (string, int, error) {
	pods, port, err := readyEndpoints(ctx, env, service)
	if err != nil {
		return "", 0, err
	}
	if len(pods) == 0 {
		return "", 0, errNoEndpoint{service}
	}
	return pods[rand.IntN(len(pods))], port, nil
}

// readyEndpoints lists the pods behind the ready endpoints of service.
func readyEndpoints(ctx context.Context, env *Env, service string) ([]string, int, error) {
	l, err := env.Cluster.Client.DiscoveryV1().EndpointSlices(env.Namespace()).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + service,
	})
	if err != nil {
		return nil, 0, err
	}
	port := mysqlPort
	seen := map[string]bool{}
	var pods []string
	for _, s := range l.Items {
		if s.Labels[discoveryv1.LabelServiceName] != service {
			continue
		}
		if len(s.Ports) > 0 && s.Ports[0].Port != nil {
			port = int(*s.Ports[0].Port)
		}
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" || seen[ep.TargetRef.Name] {
				continue
			}
			seen[ep.TargetRef.Name] = true
			pods = append(pods, ep.TargetRef.Name)
		}
	}
	sort.Strings(pods)
	return pods, port, nil
}

// queryRows runs one statement and returns its rows as strings (NULL as
// "NULL"); statements without a result set return no rows.
func (c *sqlConn) queryRows(ctx context.Context, q string) ([]string, [][]string, error) {
	rows, err := c.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	return cols, out, rows.Err()
}

// serverID returns @@server_id of the connection's server.
func (c *sqlConn) serverID(ctx context.Context) (string, error) {
	_, rows, err := c.queryRows(ctx, "SELECT @@server_id")
	if err != nil {
		return "", err
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return "", fmt.Errorf("SELECT @@server_id returned nothing")
	}
	return rows[0][0], nil
}

// formatTable renders a result set like the mysql client's batch mode.
func formatTable(cols []string, rows [][]string) string {
	if len(cols) == 0 {
		return ""
	}
	w := make([]int, len(cols))
	for i, c := range cols {
		w[i] = len(c)
	}
	for _, r := range rows {
		for i, v := range r {
			w[i] = max(w[i], len(v))
		}
	}
	var b strings.Builder
	line := func(vals []string) {
		for i, v := range vals {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(v + strings.Repeat(" ", w[i]-len(v)))
		}
		b.WriteString("\n")
	}
	line(cols)
	sep := make([]string, len(cols))
	for i := range sep {
		sep[i] = strings.Repeat("-", w[i])
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	b.WriteString(strconv.Itoa(len(rows)) + " row(s)\n")
	return b.String()
}

// targetName says where SQL goes, for messages.
func targetName(t SQLTarget) string {
	if t.Service != "" {
		return "service/" + t.Service
	}
	return "pod/" + t.Pod
}

// sqlHint suggests what to do about a SQL error.
func sqlHint(env *Env, t SQLTarget, err error) Msg {
	var ne errNoEndpoint
	switch {
	case asErr(err, &ne):
		return M("HintNoEndpoint", "Service", t.Service, "Namespace", env.Namespace())
	case strings.Contains(err.Error(), "port-forward"):
		return M("HintPortForward", "Namespace", env.Namespace(), "Target", targetName(t))
	}
	return M("HintSQL", "Namespace", env.Namespace(), "Target", targetName(t))
}
