"""The audit log: who did what to which object, when, from where, before and after (issue 17); append-only."""
