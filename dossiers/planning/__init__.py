"""Planning: what a district's or province's plan sets for a year and how the units stand against it."""
