package graph

// SetRecheckBatch makes each of a's recheck statements read at most n
// emails, so that a test can show the batching with a few users.
func SetRecheckBatch(a *Authenticator, n int) { a.sessions.batch = n }

// Rechecks returns how many rechecks a has begun.
func Rechecks(a *Authenticator) int64 { return a.sessions.rounds.Load() }
