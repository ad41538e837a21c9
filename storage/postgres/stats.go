package postgres

import "database/sql"

// DBStats reports the connection pool's statistics as database/sql's
// (pool "postgres"), for metrics: waits are acquires that found no idle
// connection.
func (s *Store) DBStats() map[string]sql.DBStats {
	st := s.pool.Stat()
	return map[string]sql.DBStats{"postgres": {
		MaxOpenConnections: int(st.MaxConns()),
		OpenConnections:    int(st.TotalConns()),
		InUse:              int(st.AcquiredConns()),
		Idle:               int(st.IdleConns()),
		WaitCount:          st.EmptyAcquireCount(),
		WaitDuration:       st.EmptyAcquireWaitTime(),
		MaxIdleClosed:      st.MaxIdleDestroyCount(),
		MaxLifetimeClosed:  st.MaxLifetimeDestroyCount(),
	}}
}
