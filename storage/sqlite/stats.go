package sqlite

import "database/sql"

// DBStats reports the statistics of the two connection pools, "writer"
// and "reader" (for metrics).
func (s *Store) DBStats() map[string]sql.DBStats {
	return map[string]sql.DBStats{"writer": s.writer.Stats(), "reader": s.reader.Stats()}
}
