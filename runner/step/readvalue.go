package step

import (
	"context"
)

// ReadValue runs a one-value query once on a new connection to target (a
// pod, or one ready endpoint of a service picked like the Service would)
// and returns the pod that answered and the first column of the first row
// ("" when there is none). The TUI's read-service pane calls it once a
// second with SELECT @@server_id.
func ReadValue(ctx context.Context, env *Env, target SQLTarget, query string) (pod, value string, err error) {
	conn, err := dialSQL(ctx, env, target)
	if err != nil {
		return "", "", err
	}
	defer conn.Close()
	_, rows, err := conn.queryRows(ctx, query)
	if err != nil {
		return conn.pod, "", err
	}
	if len(rows) == 0 || len(rows[0]) == 0 {
		return conn.pod, "", nil
	}
	return conn.pod, rows[0][0], nil
}
