"""Planning: periodic reports written and submitted in the system, and indicators watched month by month."""
