"""Cutover: promotion, snapshot, rollback, sign-off and the run that ties them together."""
