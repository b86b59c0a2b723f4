"""The student trainer: the robust student on base GT and a dataset version's pseudo labels."""
