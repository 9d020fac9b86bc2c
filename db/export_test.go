package db

// Exported for the db_test package.
var (
	ConstraintErrors    = constraintErrors
	InternalConstraints = internalConstraints
)
