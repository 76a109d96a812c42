package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// pgProbeSQL reads the stored versions of a batch's contacts, their ids
// one array parameter.
const pgProbeSQL = "SELECT contact_id, initiation_timestamp, agent_id FROM contact_record WHERE contact_id = ANY ($1::text[])"

// lockAndProbe takes the rollups' lock (lockRollups) and reads the stored
// versions of crs (existingContacts) in one round trip, a pgx batch on the
// transaction's connection: two round trips and 500 parameters before.
func (w pgIngest) lockAndProbe(ctx context.Context, tx *sql.Tx, crs []contactRow) (int, touchedCells, error) {
	var tc touchedCells
	ids := make([]string, len(crs))
	for i := range crs {
		ids[i] = crs[i].ContactID
	}
	n := 0
	err := withPgx(w.conn, func(c *pgx.Conn) error {
		var b pgx.Batch
		b.Queue(pgLockRollups.query)
		b.Queue(pgProbeSQL, ids)
		br := c.SendBatch(ctx, &b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("%s: %w", pgLockRollups.what, err)
		}
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("read stored contacts: %w", err)
		}
		n, err = scanStored(rows, crs, &tc)
		rows.Close()
		if err != nil {
			return fmt.Errorf("read stored contacts: %w", err)
		}
		return br.Close()
	})
	return n, tc, err
}
