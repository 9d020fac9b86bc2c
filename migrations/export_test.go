package migrations

// Hooks for the external tests, which run the runner over their own files.
var (
	UpFS      = up
	DownFS    = down
	StatusFS  = status
	PendingFS = pending
	HashFS    = hashFS
)
