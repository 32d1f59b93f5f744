"""Planning: what a district's or province's plan sets for a year and how the units stand against it; the deadline
rules in force and the obligations they make (domain data); periodic reports written and submitted in the system;
indicators watched month by month."""
